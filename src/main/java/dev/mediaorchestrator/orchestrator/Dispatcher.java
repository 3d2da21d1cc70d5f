package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.SignedHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Sends a job to its runner: {@code POST {runner}/render} with the engine's payload, signed. Each
 * attempt presigns fresh URLs and a fresh {@code ts} and keeps the job's dispatch nonce. A runner
 * that cannot be reached or refuses leaves the job {@code queued} with the reason in its document.
 */
public final class Dispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    static final long FIRST_RETRY_MS = 1000;
    static final long MAX_RETRY_MS = 60_000;

    private final Config config;
    private final JobStore jobs;
    private final TransferUrls urls;
    private final SignedHttp http;
    private final Clock clock;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final ExecutorService senders = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "dispatch-retry");
        t.setDaemon(true);
        return t;
    });

    public Dispatcher(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock) {
        this.config = config;
        this.jobs = jobs;
        this.urls = urls;
        this.http = http;
        this.clock = clock;
    }

    /** One dispatch attempt; returns true when the runner accepted the job. */
    public boolean dispatch(String jobId) {
        Job job = jobs.get(jobId).orElse(null);
        if (job == null || job.isTerminal() || job.dispatched) {
            return false;
        }
        URI runner = config.runnerBaseUrl(job.engine.id);
        String error;
        if (runner == null) {
            error = "no runner configured for " + job.engine.id;
        } else {
            try {
                SignedHttp.Response r = http.post(URI.create(runner + "/render"), payload(job),
                        Duration.ofMillis(config.dispatchTimeoutMs));
                if (r.ok()) {
                    jobs.update(jobId, j -> {
                        j.attempts++;
                        j.dispatched = true;
                        j.dispatchError = null;
                        j.lastDispatchAt = clock.millis();
                    });
                    LOG.info("start job {} ({} on {})", jobId, job.engine.id, runner);
                    return true;
                }
                error = "runner answered " + r.status() + (r.status() == 429 ? " (busy)" : "");
            } catch (IOException e) {
                error = "runner unreachable: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "dispatch interrupted";
            }
        }
        String reason = error;
        jobs.update(jobId, j -> {
            j.attempts++;
            j.dispatchError = reason;
            j.lastDispatchAt = clock.millis();
            j.nextDispatchAt = j.lastDispatchAt + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(16, j.attempts - 1));
        });
        LOG.warn("dispatch of job {} failed: {}; the job stays queued", jobId, reason);
        return false;
    }

    /**
     * The dispatch retry timer: dispatches again every queued job that no runner has accepted,
     * with backoff; past {@code DISPATCH_DEADLINE_SECONDS} the job fails (and its terminal
     * callback follows).
     */
    public void retryDue() {
        long now = clock.millis();
        for (Job job : jobs.cache().asMap().values()) {
            if (job.isTerminal() || job.dispatched || job.attempts == 0 || job.nextDispatchAt > now) {
                continue;
            }
            if (now - job.createdAt > config.dispatchDeadlineSeconds * 1000) {
                boolean failed;
                synchronized (job) {
                    failed = JobTransitions.terminate(job, "failed", "no runner accepted the job within "
                            + config.dispatchDeadlineSeconds + " s (" + job.attempts + " attempts; last: " + job.dispatchError + ")", now);
                }
                if (failed) {
                    jobs.update(job.jobId, j -> { });
                    LOG.warn("job {} failed: {}", job.jobId, job.error);
                }
                continue;
            }
            if (inFlight.add(job.jobId)) {
                senders.submit(() -> {
                    try {
                        dispatch(job.jobId);
                    } finally {
                        inFlight.remove(job.jobId);
                    }
                });
            }
        }
    }

    @Override
    public void close() {
        senders.shutdownNow();
    }

    /** The runner payload of CONTRACT.md (Runner endpoints) for the job's engine. */
    Map<String, Object> payload(Job job) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobId", job.jobId);
        p.put("mediaId", job.mediaId);
        p.put("engine", job.engine.id);
        p.put("callbackUrl", config.orchestratorBaseUrlContainer + "/callbacks/container");
        p.put("engineOptions", job.options);
        switch (job.engine) {
            case BURNER -> {
                p.put("inputVideoUrl", urls.input(job.mediaId, Engine.InputKind.VIDEO));
                p.put("inputVttUrl", urls.input(job.mediaId, Engine.InputKind.SUBTITLES));
                p.put("outputPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
            }
            case REMOTION -> {
                p.put("inputVideoUrl", urls.input(job.mediaId, Engine.InputKind.VIDEO));
                p.put("inputDataUrl", urls.input(job.mediaId, Engine.InputKind.COMMENTS));
                p.put("outputPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
            }
            case DOWNLOADER -> {
                p.put("outputVideoPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputAudioPutUrl", urls.output(job, Engine.OutputKind.AUDIO));
                p.put("outputMetadataPutUrl", urls.output(job, Engine.OutputKind.METADATA));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
                p.put("outputAudioKey", job.outputKey(Engine.OutputKind.AUDIO));
                p.put("outputMetadataKey", job.outputKey(Engine.OutputKind.METADATA));
            }
        }
        p.put("ts", clock.millis());
        p.put("nonce", job.dispatchNonce);
        return p;
    }
}
