package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.HttpError;

import java.net.URI;
import java.util.Map;
import java.util.regex.Pattern;

/** A validated {@code POST /jobs} body. */
public record JobRequest(String mediaId, Engine engine, Map<String, Object> options) {
    public static final Pattern MEDIA_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,127}");

    /** Validates a parsed body; every problem is a 400 naming the field. */
    @SuppressWarnings("unchecked")
    public static JobRequest from(Map<String, Object> body) {
        Object mediaId = body.get("mediaId");
        if (mediaId == null || (mediaId instanceof String s && s.isEmpty())) {
            throw HttpError.badRequest("mediaId is required");
        }
        if (!(mediaId instanceof String id) || !MEDIA_ID.matcher(id).matches()) {
            throw HttpError.badRequest("mediaId is invalid: must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}");
        }
        Object engineValue = body.get("engine");
        if (engineValue == null) {
            throw HttpError.badRequest("engine is required");
        }
        Engine engine = engineValue instanceof String e ? Engine.of(e).orElse(null) : null;
        if (engine == null) {
            throw HttpError.badRequest("engine is unknown: must be burner-ffmpeg, media-downloader or renderer-remotion");
        }
        Object options = body.get("options");
        if (options != null && !(options instanceof Map)) {
            throw HttpError.badRequest("options must be an object");
        }
        Map<String, Object> opts = options == null ? Map.of() : (Map<String, Object>) options;
        if (engine == Engine.DOWNLOADER) {
            Object url = opts.get("url");
            if (url == null || (url instanceof String s && s.isBlank())) {
                throw HttpError.badRequest("options.url is required for media-downloader");
            }
            if (!(url instanceof String u) || !isHttpUrl(u)) {
                throw HttpError.badRequest("options.url must be an http(s) URL");
            }
            try {
                dev.mediaorchestrator.downloader.DownloadExtras.validate(opts);
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("options." + e.getMessage());
            }
        }
        return new JobRequest(id, engine, opts);
    }

    private static boolean isHttpUrl(String s) {
        try {
            URI u = new URI(s);
            return ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
                    && u.getHost() != null && !u.getHost().isEmpty();
        } catch (Exception e) {
            return false;
        }
    }
}
