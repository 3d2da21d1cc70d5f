package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Threads;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.observability.JobContext;
import dev.mediaorchestrator.observability.Metrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * The signed terminal callback to {@code {NEXT_BASE_URL}/api/render/cf-callback}: sent once per job
 * when it becomes terminal, retried until the app answers 2xx (1 s, doubling, at most 5 min apart,
 * for as long as the job lives — at least an hour with the default TTL).
 *
 * <p>The callback is a stored event: its nonce and body were written with the job's terminal
 * transition ({@link Job.Callback}), so every attempt — after a crash, a restart, from another
 * replica — sends the same event with the same nonce; only {@code ts} and the presigned URLs are
 * made fresh. An attempt first takes the delivery lease in the job record (a conditional write:
 * one orchestrator at a time), and records its outcome in the record afterwards. The lease's owner
 * is this orchestrator's instance id, kept in {@code DATA_DIR}: after a kill -9 and a restart on the
 * same data dir it takes its own lease back at once; another replica waits until it runs out.
 */
public final class TerminalCallbacks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TerminalCallbacks.class);
    static final long FIRST_RETRY_MS = 1000;
    static final long MAX_RETRY_MS = 300_000;
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** An attempt's lease: longer than the attempt can take. */
    static final long LEASE_MS = TIMEOUT.toMillis() + 30_000;

    private final Config config;
    private final JobStore jobs;
    private final TransferUrls urls;
    private final SignedHttp http;
    private final Clock clock;
    private final String instanceId;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private volatile Metrics metrics = Metrics.NONE;
    private final ExecutorService senders = Threads.daemonPool("cf-callback", 4);

    public TerminalCallbacks(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock, String instanceId) {
        this.config = config;
        this.jobs = jobs;
        this.urls = urls;
        this.http = http;
        this.clock = clock;
        this.instanceId = instanceId;
    }

    /** Where this sender reports to (observability; nothing until set). */
    public void setMetrics(Metrics metrics) {
        this.metrics = metrics;
    }

    /** The timer: starts a delivery attempt for every terminal job whose callback is due. */
    public void deliverDue() {
        long now = clock.millis();
        for (Job job : jobs.active()) {
            deliverIfDue(job, now);
        }
    }

    /**
     * When a job has just become terminal ({@link JobStore#onTerminal}): its first attempt starts
     * now, not at the next tick of the timer. Later attempts keep to their backoff.
     */
    public void deliverNow(Job job) {
        deliverIfDue(job, clock.millis());
    }

    private boolean due(Job job, long now) {
        Job.Callback cb = job.callback;
        return job.isTerminal() && !cb.delivered() && !cb.abandoned() && cb.nextAttemptAt() <= now
                && (cb.leaseOwner() == null || instanceId.equals(cb.leaseOwner()) || cb.leaseUntil() <= now);
    }

    private void deliverIfDue(Job job, long now) {
        if (!due(job, now) || !inFlight.add(job.jobId)) {
            return;
        }
        try {
            senders.submit(JobContext.wrap(job.jobId, () -> {
                try {
                    attempt(job.jobId);
                } catch (RuntimeException e) {
                    LOG.warn("[cf-callback] attempt for {} failed: {}", job.jobId, e.toString());
                } finally {
                    inFlight.remove(job.jobId);
                }
            }));
        } catch (RejectedExecutionException e) {
            inFlight.remove(job.jobId); // closing: the callback stays due, for the next start
        }
    }

    void attempt(String jobId) {
        long now = clock.millis();
        long leaseUntil = now + LEASE_MS;
        Optional<Job> leased = jobs.transition(jobId, j -> {
            if (!due(j, now)) {
                return j;
            }
            Job.Draft d = j.draft();
            if (d.callback.nonce() == null || d.callback.event() == null) {
                // a record from before events were stored: fix the event now, once
                d.callback = d.callback.withEvent(UUID.randomUUID().toString(), JobTransitions.event(d), now);
            }
            d.callback = d.callback.leased(instanceId, leaseUntil);
            return d.build();
        });
        if (leased.isEmpty() || !instanceId.equals(leased.get().callback.leaseOwner()) || leased.get().callback.leaseUntil() != leaseUntil) {
            return; // not due, or another orchestrator holds the lease
        }
        Job job = leased.get();
        String error = send(job);
        boolean delivered = error == null;
        metrics.appCallback(job, delivered);
        long after = clock.millis();
        Optional<Job> recorded = jobs.transition(jobId, j -> {
            if (!instanceId.equals(j.callback.leaseOwner()) || j.callback.leaseUntil() != leaseUntil) {
                return j; // the lease ran out and another took over: its outcome counts
            }
            Job.Draft d = j.draft();
            long delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(20, j.callback.attempts()));
            d.callback = d.callback.attempted(delivered, error, after + delay);
            return d.build();
        });
        int attempts = recorded.map(j -> j.callback.attempts()).orElse(0);
        if (delivered) {
            LOG.info("[cf-callback] delivered {} ({}, attempt {})", jobId, job.status, attempts);
        } else {
            LOG.warn("[cf-callback] failed {} (attempt {}): {}; retrying", jobId, attempts, error);
        }
    }

    /** One attempt; null when the app took it, else why not. */
    private String send(Job job) {
        if (config.nextBaseUrl == null) {
            return "NEXT_BASE_URL is not set";
        }
        try {
            SignedHttp.Response r = http.post(URI.create(config.nextBaseUrl + "/api/render/cf-callback"), payload(job), TIMEOUT);
            return r.ok() ? null : "app answered " + r.status();
        } catch (IOException e) {
            return "app unreachable: " + e.getClass().getSimpleName();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The stored event with this attempt's {@code ts} and fresh presigned URLs. */
    Map<String, Object> payload(Job job) {
        Map<String, Object> p = new LinkedHashMap<>(job.callback.event());
        p.put("ts", clock.millis());
        p.put("nonce", job.callback.nonce());
        if ("completed".equals(job.status)) {
            if (job.engine == Engine.DOWNLOADER) {
                Map<String, Object> outputs = new LinkedHashMap<>();
                for (Engine.OutputKind kind : job.engine.outputs) {
                    outputs.put(kind.id, Map.of("key", job.outputKey(kind), "url", outputUrl(job, kind)));
                }
                p.put("outputs", outputs);
            } else {
                p.put("outputUrl", outputUrl(job, Engine.OutputKind.VIDEO));
            }
        }
        return p;
    }

    private String outputUrl(Job job, Engine.OutputKind kind) {
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return urls.outputGet(job, kind).toString();
        }
        return config.orchestratorBaseUrlNext + "/artifacts/" + job.jobId + (kind == Engine.OutputKind.VIDEO ? "" : "?kind=" + kind.id);
    }

    @Override
    public void close() {
        senders.shutdownNow();
    }
}
