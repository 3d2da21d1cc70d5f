package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Collectors;

/**
 * The signed terminal callback to {@code {NEXT_BASE_URL}/api/render/cf-callback}: sent once per job
 * when it becomes terminal, retried until the app answers 2xx (1 s, doubling, at most 5 min apart,
 * for as long as the job lives — at least an hour with the default TTL).
 *
 * <p>The callback is a stored event: its nonce and body were written with the job's terminal
 * transition ({@link TerminalCallback}), so every attempt — after a crash, a restart, from another
 * replica — sends the same event with the same nonce; only {@code ts} and the presigned URLs are
 * made fresh. An attempt first takes the delivery lease in the job record (a conditional write:
 * one orchestrator at a time), and records its outcome in the record afterwards. The lease's owner
 * is this orchestrator's instance id, kept in {@code DATA_DIR}: after a kill -9 and a restart on the
 * same data dir it takes its own lease back at once; another replica waits until it runs out.
 */
public final class TerminalCallbacks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TerminalCallbacks.class);

    private final Config config;
    private final JobStore jobs;
    private final TransferUrls urls;
    private final SignedHttp http;
    private final Clock clock;
    private final String instanceId;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;
    private final ExecutorService senders;
    /** The retry schedule and the lease on the monotonic clock (see {@link JobClock}). */
    private volatile JobClock times;

    public TerminalCallbacks(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock, String instanceId) {
        this(config, jobs, urls, http, clock, instanceId, Pools.PLAIN);
    }

    public TerminalCallbacks(Config config, JobStore jobs, TransferUrls urls, SignedHttp http, Clock clock, String instanceId, Pools pools) {
        this.senders = pools.fixed("cf-callback", 4);
        this.config = config;
        this.jobs = jobs;
        this.urls = urls;
        this.http = http;
        this.clock = clock;
        this.instanceId = instanceId;
        this.times = new JobClock(clock, Ticker.SYSTEM);
        // a callback's next attempt and lease are read against the wall clock when this process
        // learns them (written here: at once), and measured on the monotonic clock from then on
    }

    /**
     * A version of a job this process learned (the {@code job-changed} route): a callback still to
     * deliver has its next attempt's time read against the wall clock now, then measured on the
     * monotonic clock.
     */
    public void learn(Job job) {
        if (job.isTerminal() && !job.callback.delivered() && !job.callback.abandoned()) {
            due(job);
        }
    }

    /** The monotonic clock the schedule is measured on (tests move it by hand). */
    void setTicker(Ticker ticker) {
        this.times = new JobClock(clock, ticker);
    }

    /** Where this sender reports to (observability; nothing until set). */
    public void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
    }

    /** The timer: starts a delivery attempt for every terminal job this replica works ({@link Shares}) whose callback is due. */
    public void deliverDue() {
        Collection<Job> active = jobs.worked();
        times.retain(active.stream().map(j -> j.jobId).collect(Collectors.toSet()));
        for (Job job : active) {
            deliverIfDue(job);
        }
    }

    /**
     * When a job has just become terminal (a step of {@code seda:job-terminal}, where the job store
     * hands it): its first attempt starts now, not at the next tick of the timer. Later attempts
     * keep to their backoff.
     */
    public void deliverNow(Job job) {
        deliverIfDue(job);
    }

    private boolean due(Job job) {
        TerminalCallback cb = job.callback;
        return job.isTerminal() && !cb.delivered() && !cb.abandoned()
                && times.reached(job.jobId, "callback", cb.nextAttemptAt(), config.callbackRetrySchedule.longestWait().toMillis())
                && (cb.leaseOwner() == null || instanceId.equals(cb.leaseOwner()) || leaseOver(job));
    }

    private void deliverIfDue(Job job) {
        if (!due(job) || !inFlight.add(job.jobId)) {
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
        attempt(jobId, false);
    }

    /**
     * For the write that ends a job ({@link JobStore#beforeTerminalWrite}): this process takes the
     * delivery lease in that same write, so the first attempt, which follows at once
     * ({@link #deliverNow}), sends without writing a lease of its own. Should this process die
     * before it sends, another replica takes over when the lease runs out, as after any lease.
     */
    public void leaseAtTheEnd(Job.Draft d) {
        if (d.callback.nonce() != null && d.callback.event() != null && d.callback.leaseOwner() == null) {
            d.callback = d.callback.leased(instanceId, clock.millis() + leaseMs());
        }
    }

    /** A lease this process holds from the job's terminal write, with time left for an attempt: no need to write another. */
    private boolean heldFromTheEnd(Job j, long now) {
        return instanceId.equals(j.callback.leaseOwner()) && j.callback.attempts() == 0
                && j.callback.leaseUntil() - now >= config.callbackTimeoutSeconds * 1000 + 10_000;
    }

    /**
     * One attempt under the delivery lease; {@code redeliver}: now, whatever the schedule and
     * whether or not it was delivered before (the same event and {@code webhook-id}). Returns the
     * log entry of the attempt, or empty when another orchestrator holds the lease (or, without
     * {@code redeliver}, when the callback is not due).
     */
    Optional<Map<String, Object>> attempt(String jobId, boolean redeliver) {
        long now = clock.millis();
        long newLease = now + leaseMs();
        Optional<Job> leased = jobs.transition(jobId, j -> {
            boolean free = j.callback.leaseOwner() == null || instanceId.equals(j.callback.leaseOwner()) || leaseOver(j);
            if (redeliver ? !(j.isTerminal() && free) : !due(j) || heldFromTheEnd(j, now)) {
                return j;
            }
            Job.Draft d = j.draft();
            if (d.callback.nonce() == null || d.callback.event() == null) {
                // a record from before events were stored: fix the event now, once
                d.callback = d.callback.withEvent(UUID.randomUUID().toString(), JobTransitions.event(d), now);
            }
            d.callback = d.callback.leased(instanceId, newLease);
            return d.build();
        });
        boolean mine = leased.isPresent() && instanceId.equals(leased.get().callback.leaseOwner())
                && (leased.get().callback.leaseUntil() == newLease || (!redeliver && due(leased.get()) && heldFromTheEnd(leased.get(), now)));
        if (!mine) {
            return Optional.empty(); // not due, or another orchestrator holds the lease
        }
        long leaseUntil = leased.get().callback.leaseUntil();
        Job job = leased.get();
        long started = clock.millis();
        Outcome outcome = send(job);
        long after = clock.millis();
        boolean delivered = outcome.ok();
        metrics.appCallback(job, delivered);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("at", started);
        entry.put("status", outcome.status() == 0 ? null : outcome.status());
        entry.put("error", outcome.error());
        entry.put("durationMs", after - started);
        if (redeliver) {
            entry.put("redelivery", true);
        }
        Optional<Job> recorded = jobs.transition(jobId, j -> {
            if (!instanceId.equals(j.callback.leaseOwner()) || j.callback.leaseUntil() != leaseUntil) {
                return j; // the lease ran out and another took over: its outcome counts
            }
            Job.Draft d = j.draft();
            boolean gone = outcome.status() == 410;
            Optional<Duration> wait = delivered || gone ? Optional.empty()
                    : config.callbackRetrySchedule.next(j.callback.attempts() + 1, outcome.retryAfter(), after);
            boolean giveUp = !delivered && (gone || wait.isEmpty());
            String error = gone ? "app answered 410 Gone: delivery stopped"
                    : giveUp ? outcome.error() + "; gave up after " + (j.callback.attempts() + 1) + " attempts" : outcome.error();
            d.callback = d.callback.attempted(delivered, outcome.status(), error, after + wait.map(Duration::toMillis).orElse(0L), giveUp, entry);
            return d.build();
        });
        TerminalCallback cb = recorded.map(j -> j.callback).orElse(null);
        int attempts = cb == null ? 0 : cb.attempts();
        if (delivered) {
            LOG.info("[cf-callback] delivered {} ({}, attempt {})", jobId, job.status, attempts);
            if (cb != null && !redeliver) {
                metrics.callbackDelivered(job, after - job.ts);
            }
        } else if (cb != null && cb.abandoned()) {
            LOG.warn("[cf-callback] failed {} (attempt {}): {}; not retried", jobId, attempts, cb.lastError());
        } else {
            LOG.warn("[cf-callback] failed {} (attempt {}): {}; next attempt at {}", jobId, attempts, outcome.error(),
                    cb == null || cb.nextAttemptAt() == 0 ? "-" : Instant.ofEpochMilli(cb.nextAttemptAt()));
        }
        return Optional.of(entry);
    }

    /** {@code POST /jobs/{jobId}/callback/redeliver}: the same event again, now; answers the attempt. */
    public String redeliver(String jobId) {
        Job job = jobs.get(jobId).orElseThrow(() -> new dev.mediaorchestrator.common.HttpError(404, "not found"));
        if (!job.isTerminal()) {
            throw new dev.mediaorchestrator.common.HttpError(409, "job is " + job.status + ": it has no callback yet");
        }
        Map<String, Object> entry = attempt(jobId, true).orElseThrow(() ->
                new dev.mediaorchestrator.common.HttpError(409, "a delivery of this callback is in progress, retry").withRetryAfter(2));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("jobId", jobId);
        r.put("webhookId", jobs.get(jobId).map(j -> j.callback.nonce()).orElse(null));
        r.put("delivered", entry.get("error") == null);
        r.putAll(entry);
        return dev.mediaorchestrator.common.Json.write(r);
    }

    /** {@code GET /jobs/{jobId}/deliveries}: every attempt (time, status or error, duration); no body, no signature. */
    public String deliveries(String jobId) {
        Job job = jobs.get(jobId).orElseThrow(() -> new dev.mediaorchestrator.common.HttpError(404, "not found"));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("jobId", jobId);
        r.put("webhookId", job.callback.nonce());
        r.put("delivered", job.callback.delivered());
        r.put("abandoned", job.callback.abandoned());
        r.put("nextAttemptAt", job.callback.delivered() || job.callback.abandoned() || job.callback.nextAttemptAt() == 0
                ? null : job.callback.nextAttemptAt());
        r.put("deliveries", job.callback.log());
        return dev.mediaorchestrator.common.Json.write(r);
    }

    /** Whether another orchestrator's lease on the job's callback has run out. */
    private boolean leaseOver(Job j) {
        return times.reached(j.jobId, "lease", j.callback.leaseUntil(), leaseMs());
    }

    private long leaseMs() {
        return config.callbackTimeoutSeconds * 1000 + 30_000;
    }

    /** An attempt's result: {@code status} 0 when there was no answer; {@code error} null on a 2xx. */
    record Outcome(int status, String error, String retryAfter) {
        boolean ok() {
            return error == null;
        }
    }

    /** One attempt. */
    private Outcome send(Job job) {
        if (config.nextBaseUrl == null) {
            return new Outcome(0, "NEXT_BASE_URL is not set", null);
        }
        try {
            SignedHttp.Response r = http.postWebhook(URI.create(config.nextBaseUrl + "/api/render/cf-callback"), payload(job),
                    Duration.ofSeconds(config.callbackTimeoutSeconds), job.callback.nonce(), clock.millis() / 1000);
            return new Outcome(r.status(), r.ok() ? null : "app answered " + r.status(), r.retryAfter());
        } catch (HttpTimeoutException e) {
            return new Outcome(0, "app did not answer within " + config.callbackTimeoutSeconds + " s", null);
        } catch (IOException e) {
            return new Outcome(0, "app unreachable: " + e.getClass().getSimpleName(), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(0, "interrupted", null);
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
                for (Engine.OutputKind kind : job.outputs()) {
                    Map<String, Object> entry = new LinkedHashMap<>(JobDocument.outputEntry(job.outputKey(kind), job.provenance.get(kind.id)));
                    entry.put("url", outputUrl(job, kind));
                    outputs.put(kind.id, entry);
                }
                List<Map<String, Object>> subs = JobDocument.subtitleOutputs(job.engine, job.mediaId, job.jobId, job.subtitles, job.provenance);
                if (subs != null) {
                    subs.forEach(entry -> entry.put("url", subtitlesUrl(job, (String) entry.get("lang"))));
                    outputs.put("subtitles", subs);
                }
                p.put("outputs", outputs);
            } else {
                p.put("outputUrl", outputUrl(job, Engine.OutputKind.VIDEO));
            }
        }
        return p;
    }

    private String subtitlesUrl(Job job, String lang) {
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return urls.publicGet(job.engine.subtitleKey(job.mediaId, job.jobId, lang)).toString();
        }
        return config.orchestratorBaseUrlNext + "/artifacts/" + job.jobId + "?kind=subtitles&lang=" + lang;
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
