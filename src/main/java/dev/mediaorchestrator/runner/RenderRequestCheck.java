package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.HttpError;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a {@code /render} body must carry before a runner takes its job: a {@code jobId} of the
 * accepted alphabet, an http(s) {@code callbackUrl}, and the URLs its task needs; a 400 naming the
 * field otherwise.
 */
public record RenderRequestCheck(String jobId, String callbackUrl) {
    /** Job ids a runner takes: the orchestrator's {@code job_…}, and any other plain id of the same alphabet as a mediaId. */
    static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

    /** The checked {@code jobId} and {@code callbackUrl} of {@code payload}, whose {@code requiredUrls} are http(s) URLs. */
    static RenderRequestCheck check(Map<String, Object> payload, List<String> requiredUrls) {
        String jobId = payload.get("jobId") instanceof String s && !s.isBlank() ? s : null;
        if (jobId == null) {
            throw HttpError.badRequest("jobId is required");
        }
        if (!JOB_ID.matcher(jobId).matches()) {
            // it names the work directory and goes into logs and callbacks: no separators, control characters or megabytes
            throw HttpError.badRequest("jobId is invalid: must match " + JOB_ID.pattern());
        }
        if (!(payload.get("callbackUrl") instanceof String cb) || !isHttpUrl(cb)) {
            throw HttpError.badRequest("callbackUrl is required (an http(s) URL)");
        }
        for (String field : requiredUrls) {
            if (!(payload.get(field) instanceof String u) || !isHttpUrl(u)) {
                throw HttpError.badRequest(field + " is required (an http(s) URL)");
            }
        }
        return new RenderRequestCheck(jobId, cb);
    }

    /** An absolute http(s) URL with a host: what a runner fetches from or sends to. */
    public static boolean isHttpUrl(String s) {
        try {
            URI u = URI.create(s);
            return ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme())) && u.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
