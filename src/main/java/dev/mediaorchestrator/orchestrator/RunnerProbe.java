package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * Asks a runner about one job: {@code GET {runner}/status/{jobId}} (CONTRACT.md, "Quiet runners are
 * asked, not killed"). The original containers answer {@code 200 {"jobId","status","progress"}} with
 * {@code status} in {@code running, uploading, completed, failed}, and {@code 404} for a job they do
 * not know; so do this project's runners. The original renderer-remotion answers {@code 404} to every
 * path but {@code POST /render}: what a 404 means depends on the runner ({@link RunnerProbes}).
 * Unsigned, like the original's.
 */
final class RunnerProbe {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Of an answer only this much is read: a status document is small. */
    static final int MAX_ANSWER = 64 * 1024;

    /**
     * {@code NOT_FOUND}: an answer without a status of the job (404, another 4xx, a 200 that is not
     * a status document): the runner is there and does not know the job, or serves no
     * {@code /status}. {@code LOST}: no answer (refused, timed out, cut) or a 5xx.
     */
    enum Kind { ALIVE, FAILED, COMPLETED, NOT_FOUND, LOST }

    /** What the runner said; {@code unreachable}: nothing (no connection, or no answer on it). */
    record Answer(Kind kind, String status, Double progress, String error, String why, boolean unreachable) {
        static Answer lost(String why) {
            return new Answer(Kind.LOST, null, null, null, why, false);
        }

        static Answer unreachable(String why) {
            return new Answer(Kind.LOST, null, null, null, why, true);
        }

        static Answer notFound(String why) {
            return new Answer(Kind.NOT_FOUND, null, null, null, why, false);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Answer probe(URI runnerBase, String jobId) {
        HttpResponse<byte[]> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(runnerBase + "/status/" + jobId)).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return Answer.unreachable("no answer (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.unreachable("interrupted");
        }
        return parse(r.statusCode(), r.body());
    }

    static Answer parse(int status, byte[] body) {
        if (status == 404) {
            return Answer.notFound("404");
        }
        if (status >= 500) {
            return Answer.lost("HTTP " + status);
        }
        if (status != 200) {
            return Answer.notFound("HTTP " + status);
        }
        Map<String, Object> doc;
        try {
            doc = body == null || body.length > MAX_ANSWER ? null : Json.parseObject(body);
        } catch (RuntimeException e) {
            doc = null;
        }
        if (doc == null || !(doc.get("status") instanceof String s)) {
            return Answer.notFound("an answer without a status");
        }
        Double progress = doc.get("progress") instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : null;
        String error = doc.get("error") instanceof String e && !e.isBlank() ? e : null;
        return switch (s) {
            case "failed", "canceled" -> new Answer(Kind.FAILED, s, progress, error, s, false);
            case "completed" -> new Answer(Kind.COMPLETED, s, progress, null, s, false);
            default -> new Answer(Kind.ALIVE, s, progress, null, s, false);
        };
    }
}
