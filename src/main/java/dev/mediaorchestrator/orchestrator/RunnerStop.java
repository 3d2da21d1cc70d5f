package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.JobContext;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * Tells a job's runner to stop it: {@code POST {runner}/cancel/{jobId}}, signed; best effort, in the
 * background. At the address the runner reported for the job ({@link Job#runnerUrl}), so that the
 * cancel reaches the pod that runs it and not whichever one the engine's Service picks (issue 29: one
 * in N); at the engine's runner URL when it reported none, or when that address does not answer
 * (refused, timed out: the pod is gone, and any runner that still has the job is behind the URL).
 */
final class RunnerStop {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerStop.class);
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Config config;
    private final SignedHttp http;
    private final Clock clock;
    private final ExecutorService senders;

    RunnerStop(Config config, SignedHttp http, Clock clock, ExecutorService senders) {
        this.config = config;
        this.http = http;
        this.clock = clock;
        this.senders = senders;
    }

    void stop(String jobId, Engine engine, String runnerUrl) {
        URI configured = config.runnerBaseUrl(engine.id);
        URI own = runnerUrl == null ? null : URI.create(runnerUrl);
        if (configured == null && own == null) {
            return;
        }
        try {
            senders.submit(JobContext.wrap(jobId, () -> send(jobId, own, configured)));
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void send(String jobId, URI own, URI configured) {
        try {
            if (own != null) {
                try {
                    LOG.info("runner told to stop job {}: {}", jobId, cancel(own, jobId));
                    return;
                } catch (IOException e) {
                    if (configured == null || configured.equals(own)) {
                        throw e;
                    }
                    LOG.info("the runner of job {} does not answer at {} ({}): the cancel goes to {}", jobId, own,
                            e.getClass().getSimpleName(), configured);
                }
            }
            LOG.info("runner told to stop job {}: {}", jobId, cancel(configured, jobId));
        } catch (IOException e) {
            LOG.warn("cannot tell the runner to stop job {}: {}", jobId, e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One signed {@code POST {runner}/cancel/{jobId}}; its HTTP status. */
    private int cancel(URI runner, String jobId) throws IOException, InterruptedException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", jobId);
        body.put("ts", clock.millis());
        body.put("nonce", UUID.randomUUID().toString());
        return http.post(URI.create(runner + "/cancel/" + jobId), body, TIMEOUT).status();
    }
}
