package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.SignedHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Signed callbacks from a runner to {@code callbackUrl}: each event has a fresh nonce; a terminal
 * event is retried a few times with the same nonce (the orchestrator also finds outputs by itself,
 * so a lost progress callback costs nothing).
 */
public final class RunnerCallbacks {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerCallbacks.class);
    static final int TERMINAL_ATTEMPTS = 5;

    private final SignedHttp http;
    private final Clock clock;
    private final long retryBaseMs;
    private volatile RunnerEvents metrics = RunnerEvents.NONE;

    public RunnerCallbacks(SignedHttp http, Clock clock, long retryBaseMs) {
        this.http = http;
        this.clock = clock;
        this.retryBaseMs = retryBaseMs;
    }

    /** Where this sender reports to (observability; nothing until set). */
    public void setMetrics(RunnerEvents metrics) {
        this.metrics = metrics;
    }

    /** Sends the job's current state plus {@code extra} fields; returns true when the orchestrator answered 2xx. */
    public boolean send(RunnerJob job, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", job.jobId);
        body.put("status", job.status);
        body.put("phase", job.phase);
        body.put("progress", job.progress);
        if (job.error != null) {
            body.put("error", job.error);
        }
        body.putAll(extra);
        // this runner reports each output's provenance once uploaded, and completes after its uploads
        body.put("provenance", true);
        body.put("nonce", UUID.randomUUID().toString());
        int attempts = job.isTerminal() ? TERMINAL_ATTEMPTS : 1;
        for (int i = 0; i < attempts; i++) {
            body.put("ts", clock.millis());
            try {
                SignedHttp.Response r = http.post(URI.create(job.callbackUrl), body, Duration.ofSeconds(10));
                metrics.runnerCallback(job, r.ok());
                if (r.ok()) {
                    return true;
                }
                LOG.warn("callback {} {} for job {} answered {}", job.status, job.phase, job.jobId, r.status());
                if (r.status() / 100 == 4 && r.status() != 429) {
                    return false; // the orchestrator will not take it; retrying changes nothing
                }
            } catch (IOException e) {
                metrics.runnerCallback(job, false);
                LOG.warn("callback {} for job {} failed: {}", job.status, job.jobId, e.getClass().getSimpleName());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (IllegalArgumentException e) {
                LOG.warn("callback URL of job {} is not valid", job.jobId);
                return false;
            }
            if (i + 1 < attempts) {
                try {
                    Thread.sleep(retryBaseMs << i);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return false;
    }
}
