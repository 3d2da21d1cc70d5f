package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.burner.SegmentSteps;
import dev.mediaorchestrator.common.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Whether the burners behind {@code CONTAINER_BASE_URL} take segmented-burn tasks: this project's
 * burner lists {@code segments} in its {@code GET /healthz} {@code features}; the original burner's
 * {@code /healthz} has none (or it has no {@code /healthz}), and a deployment of it keeps the
 * contract's single run. Asked when a decision needs it and the last answer is older than a minute
 * (a burner that did not answer: 5 s), so the first long job after a start asks, and a deployment
 * that changes its burners is followed within a minute.
 *
 * <p>A burner that refuses a task ({@code 400}: a Service whose pods are mixed during a migration,
 * the answer having come from one of ours and the task gone to an original) turns splitting off for
 * {@value #OFF_MS} ms ({@link #refused}): no wrong object is written either way (a task has no
 * {@code outputPutUrl} an original burner would use).
 */
final class BurnerFeatures {
    private static final Logger LOG = LoggerFactory.getLogger(BurnerFeatures.class);
    static final long KNOWN_MS = 60_000;
    static final long UNANSWERED_MS = 5_000;
    static final long OFF_MS = 600_000;
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private record Known(boolean segments, long until) {
    }

    private final URI base;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private volatile Known known;
    private volatile long offUntil;

    BurnerFeatures(URI base, Clock clock) {
        this.base = base;
        this.clock = clock;
    }

    /** Whether the burners take segments (asked at most once per {@value #KNOWN_MS} ms). */
    boolean segments() {
        long now = clock.millis();
        if (base == null || now < offUntil) {
            return false;
        }
        Known k = known;
        if (k != null && now < k.until) {
            return k.segments;
        }
        synchronized (this) {
            k = known;
            if (k != null && clock.millis() < k.until) {
                return k.segments;
            }
            k = ask();
            if (known == null || known.segments != k.segments) {
                LOG.info("the burners at {} {} segmented burns", base, k.segments ? "take" : "do not take");
            }
            known = k;
            return k.segments;
        }
    }

    private Known ask() {
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            boolean segments = r.statusCode() == 200 && r.body().length < 64 * 1024
                    && Json.parseObject(r.body()).get("features") instanceof List<?> features && features.contains(SegmentSteps.FEATURE);
            return new Known(segments, clock.millis() + KNOWN_MS);
        } catch (IOException | RuntimeException e) {
            return new Known(false, clock.millis() + UNANSWERED_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Known(false, clock.millis() + UNANSWERED_MS);
        }
    }

    /** A burner refused a task: jobs are burned in one run for {@value #OFF_MS} ms. */
    void refused(String taskId, int status, String body) {
        offUntil = clock.millis() + OFF_MS;
        LOG.warn("a burner refused task {} ({} {}): segmented burns are off for {} s", taskId, status,
                body == null ? "" : body.substring(0, Math.min(200, body.length())),
                OFF_MS / 1000);
    }
}
