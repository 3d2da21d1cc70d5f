package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Threads;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.SignedHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

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
    private final ExecutorService senders = Threads.daemonPool("dispatch-retry", 4);

    public Dispatcher(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock) {
        this.config = config;
        this.jobs = jobs;
        this.urls = urls;
        this.http = http;
        this.clock = clock;
    }

    /**
     * Dispatches the job if its engine has a free slot ({@code MAX_ACTIVE_JOBS}) and no older job
     * of that engine is waiting; otherwise it waits {@code queued} with its queue position, and the
     * dispatch timer sends it when its turn comes. Returns true when a runner accepted it now.
     */
    public boolean dispatch(String jobId) {
        Job job = jobs.get(jobId).orElse(null);
        if (job == null || job.isTerminal() || job.dispatched) {
            return false;
        }
        synchronized (this) { // slot decisions are atomic: two threads never take the last slot twice
            List<Job> queue = waitingByEngine().getOrDefault(job.engine, List.of());
            int free = config.maxActiveJobs - activeCount(job.engine);
            int position = queue.indexOf(job);
            if (position < 0 || position >= free || !inFlight.add(jobId)) {
                return false; // not its turn (or being sent): retryDue() sends it later
            }
        }
        try {
            return attempt(job);
        } finally {
            inFlight.remove(jobId);
        }
    }

    /** One dispatch attempt; returns true when the runner accepted the job. */
    boolean attempt(Job job) {
        String jobId = job.jobId;
        if (job.dispatched || job.isTerminal()) {
            return job.dispatched;
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
                        j.queuePosition = 0;
                        j.lastDispatchAt = clock.millis();
                        j.lastReportAt = j.lastDispatchAt;
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
            if (j.firstAttemptAt == 0) {
                j.firstAttemptAt = j.lastDispatchAt;
            }
            j.nextDispatchAt = j.lastDispatchAt + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(16, j.attempts - 1));
        });
        LOG.warn("dispatch of job {} failed: {}; the job stays queued", jobId, reason);
        return false;
    }

    /** Jobs dispatched to a runner (or being sent to one) and not yet terminal. */
    int activeCount(Engine engine) {
        int n = 0;
        for (Job j : jobs.cache().asMap().values()) {
            if (j.engine == engine && !j.isTerminal() && (j.dispatched || inFlight.contains(j.jobId))) {
                n++;
            }
        }
        return n;
    }

    /** Per engine, the jobs no runner has accepted yet and none is being sent, oldest first. */
    private Map<Engine, List<Job>> waitingByEngine() {
        Map<Engine, List<Job>> waiting = new EnumMap<>(Engine.class);
        for (Job j : jobs.cache().asMap().values()) {
            if (!j.isTerminal() && !j.dispatched && !inFlight.contains(j.jobId)) {
                waiting.computeIfAbsent(j.engine, e -> new ArrayList<>()).add(j);
            }
        }
        waiting.values().forEach(l -> l.sort(Comparator.comparingLong((Job j) -> j.createdAt).thenComparing(j -> j.jobId)));
        return waiting;
    }

    /**
     * The dispatch timer: per engine, sends waiting jobs in order while there are free slots
     * (retrying a runner that was unreachable or busy with backoff), and keeps every waiting job's
     * {@code queuePosition} current. A job whose runner stays unavailable past
     * {@code DISPATCH_DEADLINE_SECONDS} from its first failed attempt fails (with its callback).
     */
    public synchronized void retryDue() {
        long now = clock.millis();
        for (Map.Entry<Engine, List<Job>> e : waitingByEngine().entrySet()) {
            int free = config.maxActiveJobs - activeCount(e.getKey());
            int position = 0;
            for (Job job : e.getValue()) {
                position++;
                int pos = position;
                if (job.queuePosition != pos) {
                    synchronized (job) {
                        job.queuePosition = pos;
                    }
                }
                if (job.firstAttemptAt > 0 && now - job.firstAttemptAt > config.dispatchDeadlineSeconds * 1000) {
                    fail(job, "no runner accepted the job within " + config.dispatchDeadlineSeconds + " s ("
                            + job.attempts + " attempts; last: " + job.dispatchError + ")", now);
                    continue;
                }
                if (pos > free || job.nextDispatchAt > now || !inFlight.add(job.jobId)) {
                    continue;
                }
                senders.submit(() -> {
                    try {
                        attempt(job);
                    } finally {
                        inFlight.remove(job.jobId);
                    }
                });
            }
        }
    }

    private void fail(Job job, String error, long now) {
        boolean failed;
        synchronized (job) {
            failed = JobTransitions.terminate(job, "failed", error, now);
        }
        if (failed) {
            jobs.update(job.jobId, j -> { });
            LOG.warn("job {} failed: {}", job.jobId, job.error);
        }
    }

    /** Tells the job's runner to stop it ({@code POST {runner}/cancel/{jobId}}, signed); best effort, in the background. */
    public void cancelOnRunner(Job job) {
        URI runner = config.runnerBaseUrl(job.engine.id);
        if (runner == null || !job.dispatched) {
            return;
        }
        senders.submit(() -> {
            try {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("jobId", job.jobId);
                body.put("ts", clock.millis());
                body.put("nonce", java.util.UUID.randomUUID().toString());
                SignedHttp.Response r = http.post(URI.create(runner + "/cancel/" + job.jobId), body, Duration.ofSeconds(10));
                LOG.info("runner told to stop job {}: {}", job.jobId, r.status());
            } catch (IOException e) {
                LOG.warn("cannot tell the runner to stop job {}: {}", job.jobId, e.getClass().getSimpleName());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
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
