package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Threads;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.observability.JobContext;
import dev.mediaorchestrator.observability.Metrics;
import dev.mediaorchestrator.storage.Storage;
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
 * for as long as the job lives — at least an hour with the default TTL), always with the same
 * nonce; presigned URLs are made fresh for each attempt.
 */
public final class TerminalCallbacks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TerminalCallbacks.class);
    static final long FIRST_RETRY_MS = 1000;
    static final long MAX_RETRY_MS = 300_000;

    private final Config config;
    private final JobStore jobs;
    private final TransferUrls urls;
    private final SignedHttp http;
    private final Clock clock;
    private final Storage storage;
    private final String instanceId = UUID.randomUUID().toString();
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private volatile Metrics metrics = Metrics.NONE;
    private final ExecutorService senders = Threads.daemonPool("cf-callback", 4);

    public TerminalCallbacks(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock, Storage storage) {
        this.storage = storage;
        this.config = config;
        this.jobs = jobs;
        this.urls = urls;
        this.http = http;
        this.clock = clock;
    }

    /** Where this sender reports to (observability; nothing until set). */
    public void setMetrics(Metrics metrics) {
        this.metrics = metrics;
    }

    /** The timer: starts a delivery attempt for every terminal job whose callback is due. */
    public void deliverDue() {
        long now = clock.millis();
        for (Job job : jobs.cache().asMap().values()) {
            deliverIfDue(job, now);
        }
    }

    /**
     * When a job has just become terminal ({@link JobStore#onTerminal}): its first attempt starts
     * now, not at the next tick of the timer (which added 0 to 500 ms to every job). Later attempts
     * keep to their backoff.
     */
    public void deliverNow(Job job) {
        deliverIfDue(job, clock.millis());
    }

    private void deliverIfDue(Job job, long now) {
        if (!job.isTerminal() || job.callback.delivered || job.callback.nextAttemptAt > now || !inFlight.add(job.jobId)) {
            return;
        }
        try {
            senders.submit(JobContext.wrap(job.jobId, () -> {
                try {
                    attempt(job);
                } finally {
                    inFlight.remove(job.jobId);
                }
            }));
        } catch (RejectedExecutionException e) {
            inFlight.remove(job.jobId); // closing: the callback stays due, for the next start
        }
    }

    void attempt(Job job) {
        synchronized (job) {
            if (job.callback.delivered) {
                return;
            }
        }
        // Only the orchestrator holding the delivery claim in the bucket sends: with two processes
        // on one bucket, the app still hears once.
        String claim = claim(job);
        if (claim == null) {
            return;
        }
        boolean delivered = false;
        try {
            delivered = metrics.appCallback(job, send(job));
        } finally {
            release(job, claim, delivered);
        }
    }

    private boolean send(Job job) {
        Map<String, Object> payload;
        synchronized (job) {
            if (job.callback.nonce == null) {
                job.callback.nonce = UUID.randomUUID().toString();
            }
            payload = payload(job);
        }
        String error;
        if (config.nextBaseUrl == null) {
            error = "NEXT_BASE_URL is not set";
        } else {
            try {
                SignedHttp.Response r = http.post(URI.create(config.nextBaseUrl + "/api/render/cf-callback"), payload, Duration.ofSeconds(30));
                if (r.ok()) {
                    jobs.update(job.jobId, j -> {
                        j.callback.delivered = true;
                        j.callback.attempts++;
                        j.callback.lastError = null;
                    });
                    LOG.info("[cf-callback] delivered {} ({}, attempt {})", job.jobId, job.status, job.callback.attempts);
                    return true;
                }
                error = "app answered " + r.status();
            } catch (IOException e) {
                error = "app unreachable: " + e.getClass().getSimpleName();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = "interrupted";
            }
        }
        String reason = error;
        jobs.update(job.jobId, j -> {
            j.callback.attempts++;
            j.callback.lastError = reason;
            long delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(20, j.callback.attempts - 1));
            j.callback.nextAttemptAt = clock.millis() + delay;
        });
        LOG.warn("[cf-callback] failed {} (attempt {}): {}; retrying", job.jobId, job.callback.attempts, reason);
        return false;
    }

    static final String CLAIM_PREFIX = "state/callbacks/";
    static final long LEASE_MS = 120_000;

    /**
     * Takes the job's delivery claim ({@code state/callbacks/{jobId}.json}) with a conditional
     * write: created with {@code If-None-Match: *}, or taken over with {@code If-Match} on its ETag
     * when its lease has run out. Returns the claim's ETag, or null when another process holds it
     * or the callback was already delivered.
     */
    private String claim(Job job) {
        if (storage == null) {
            return "";
        }
        String key = CLAIM_PREFIX + job.jobId + ".json";
        long now = clock.millis();
        byte[] mine = Json.writeBytes(Map.of("owner", instanceId, "leaseUntil", now + LEASE_MS, "delivered", false));
        try {
            Optional<Storage.Versioned> current = storage.getSmall(key);
            if (current.isEmpty()) {
                return storage.putSmall(key, mine, "application/json", null, true).orElse(null);
            }
            Map<String, Object> c = Json.parseObject(current.get().data());
            if (Boolean.TRUE.equals(c.get("delivered"))) {
                jobs.update(job.jobId, j -> j.callback.delivered = true);
                return null;
            }
            long leaseUntil = c.get("leaseUntil") instanceof Number n ? n.longValue() : 0;
            if (leaseUntil > now && !instanceId.equals(c.get("owner"))) {
                jobs.update(job.jobId, j -> j.callback.nextAttemptAt = leaseUntil);
                return null;
            }
            return storage.putSmall(key, mine, "application/json", current.get().etag(), false).orElse(null);
        } catch (RuntimeException e) {
            LOG.warn("[cf-callback] cannot claim delivery of {}: {}", job.jobId, e.toString());
            return null;
        }
    }

    private void release(Job job, String etag, boolean delivered) {
        if (storage == null) {
            return;
        }
        byte[] state = Json.writeBytes(Map.of("owner", instanceId, "leaseUntil", 0, "delivered", delivered));
        try {
            storage.putSmall(CLAIM_PREFIX + job.jobId + ".json", state, "application/json", etag, false);
        } catch (RuntimeException e) {
            LOG.warn("[cf-callback] cannot release the delivery claim of {}: {}", job.jobId, e.toString());
        }
    }

    /** The contract's terminal callback body for the job's engine. */
    Map<String, Object> payload(Job job) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobId", job.jobId);
        p.put("mediaId", job.mediaId);
        p.put("engine", job.engine.id);
        p.put("status", job.status);
        p.put("ts", clock.millis());
        p.put("nonce", job.callback.nonce);
        p.put("durationMs", job.durationMs);
        p.put("attempts", job.attempts);
        if (job.error != null) {
            p.put("error", job.error);
        }
        if ("completed".equals(job.status)) {
            if (job.engine == Engine.DOWNLOADER) {
                Map<String, Object> outputs = new LinkedHashMap<>();
                for (Engine.OutputKind kind : job.engine.outputs) {
                    outputs.put(kind.id, Map.of("key", job.outputKey(kind), "url", outputUrl(job, kind)));
                }
                p.put("outputs", outputs);
                if (job.metadata != null) {
                    p.put("metadata", job.metadata);
                }
            } else {
                p.put("outputKey", job.outputKey(Engine.OutputKind.VIDEO));
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
