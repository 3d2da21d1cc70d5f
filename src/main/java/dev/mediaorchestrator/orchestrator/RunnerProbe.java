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
 * not know; so do this project's runners. Unsigned, like the original's.
 */
final class RunnerProbe {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Of an answer only this much is read: a status document is small. */
    static final int MAX_ANSWER = 64 * 1024;

    enum Kind { ALIVE, FAILED, COMPLETED, LOST }

    /** What the runner said; {@code LOST} covers 404, no answer and an answer that is not a status. */
    record Answer(Kind kind, String status, Double progress, String error, String why) {
        static Answer lost(String why) {
            return new Answer(Kind.LOST, null, null, null, why);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Answer probe(URI runnerBase, String jobId) {
        HttpResponse<byte[]> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(runnerBase + "/status/" + jobId)).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            return Answer.lost("no answer (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.lost("interrupted");
        }
        return parse(r.statusCode(), r.body());
    }

    static Answer parse(int status, byte[] body) {
        if (status == 404) {
            return Answer.lost("404");
        }
        if (status != 200) {
            return Answer.lost("HTTP " + status);
        }
        Map<String, Object> doc;
        try {
            doc = body == null || body.length > MAX_ANSWER ? null : Json.parseObject(body);
        } catch (RuntimeException e) {
            doc = null;
        }
        if (doc == null || !(doc.get("status") instanceof String s)) {
            return Answer.lost("an answer without a status");
        }
        Double progress = doc.get("progress") instanceof Number n && Double.isFinite(n.doubleValue()) ? n.doubleValue() : null;
        String error = doc.get("error") instanceof String e && !e.isBlank() ? e : null;
        return switch (s) {
            case "failed", "canceled" -> new Answer(Kind.FAILED, s, progress, error, s);
            case "completed" -> new Answer(Kind.COMPLETED, s, progress, null, s);
            default -> new Answer(Kind.ALIVE, s, progress, null, s);
        };
    }
}
