package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.SignedHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Signed callbacks from a runner to {@code callbackUrl}: each event has a fresh nonce; a terminal
 * event is retried a few times with the same nonce (the orchestrator also finds outputs by itself,
 * so a lost progress callback costs nothing).
 *
 * <p>Sent in the background and in order ({@link #enqueue}): a job's callbacks form a chain, each
 * sent once the one before it has its answer, with the job's state as it was when it was queued;
 * the job goes on at once instead of waiting for the orchestrator (which writes each to its
 * bucket). The job's last step waits for its chain ({@link #awaitSent}), so its slot is freed, and
 * it leaves {@code /status}'s active set, only once the orchestrator has heard everything.
 *
 * <p>A report still waiting for its turn is merged into the next one of the same phase (#31): at the
 * end of a download the {@code uploading 0.95} report and the mp3's provenance would otherwise each
 * cost a round trip to the orchestrator (which writes each to its bucket) before the job can
 * complete. Only a report that says nothing but its phase's progress, or that carries provenance
 * ({@code outputs}, {@code tools}), is merged; the merged callback carries the newer state and the
 * outputs of both. A phase change, a terminal callback and a report on its way are sent as they are,
 * so the orchestrator (and the original Worker) still hear every phase, in order.
 */
public final class RunnerCallbacks {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerCallbacks.class);
    static final int TERMINAL_ATTEMPTS = 5;

    private final SignedHttp http;
    private final Clock clock;
    private final long retryBaseMs;
    private volatile RunnerEvents metrics = RunnerEvents.NONE;

    /** At most one sender per job at a time (its chain); threads end when idle. */
    private final ExecutorService senders;

    public RunnerCallbacks(SignedHttp http, Clock clock, long retryBaseMs) {
        this(http, clock, retryBaseMs, Pools.PLAIN);
    }

    public RunnerCallbacks(SignedHttp http, Clock clock, long retryBaseMs, Pools pools) {
        this.senders = pools.cached("runner-callback");
        this.http = http;
        this.clock = clock;
        this.retryBaseMs = retryBaseMs;
    }

    /** Where this sender reports to (observability; nothing until set). */
    public void setMetrics(RunnerEvents metrics) {
        this.metrics = metrics;
    }

    /** The fields besides the state that a waiting report may carry and still be merged into the next one. */
    private static final Set<String> MERGEABLE_EXTRA = Set.of("outputs", "tools");

    /** A callback in the job's chain: its body can still change (a merge) until its sender takes it. */
    static final class Report {
        private Map<String, Object> body;
        private final boolean terminal;
        /** Its status or phase differs from the report queued before it (the first report is one too). */
        private final boolean phaseChange;
        private boolean mergeable;
        private boolean taken;

        private Report(Map<String, Object> body, boolean terminal, boolean phaseChange, boolean mergeable) {
            this.body = body;
            this.terminal = terminal;
            this.phaseChange = phaseChange;
            this.mergeable = mergeable;
        }
    }

    /**
     * Queues a callback with the job's state now plus {@code extra} fields, to be sent after the
     * job's earlier callbacks; returns at once. Callers hold the job's lock, so the chain's order is
     * the order of the job's states. Merged into the job's last report instead when that one is
     * still waiting and both are reports of the same phase (see the class comment).
     */
    public void enqueue(RunnerJob job, Map<String, Object> extra) {
        synchronized (job) {
            Map<String, Object> body = body(job, extra);
            boolean terminal = job.isTerminal();
            Report last = job.lastReport;
            boolean phaseChange = last == null || !Objects.equals(last.body.get("status"), body.get("status"))
                    || !Objects.equals(last.body.get("phase"), body.get("phase"));
            if (last != null && !last.taken && last.mergeable && !phaseChange && !terminal) {
                last.body = merged(last.body, body);
                last.mergeable = MERGEABLE_EXTRA.containsAll(extra.keySet());
                return;
            }
            Report report = new Report(body, terminal, phaseChange, !terminal && !phaseChange && MERGEABLE_EXTRA.containsAll(extra.keySet()));
            job.lastReport = report;
            job.callbacksPending.incrementAndGet();
            Runnable send = JobContext.wrap(job.jobId, () -> {
                Map<String, Object> toSend;
                synchronized (job) {
                    report.taken = true;
                    toSend = report.body;
                }
                try {
                    post(job, toSend, report.terminal);
                } catch (RuntimeException e) {
                    LOG.warn("callback {} for job {} failed: {}", toSend.get("status"), job.jobId, e.toString());
                } finally {
                    job.callbacksPending.decrementAndGet();
                }
            });
            job.callbacksSent = job.callbacksSent.thenRunAsync(send, senders);
        }
    }

    /** The newer report's body, with the outputs (and tool versions) of the older one it does not repeat. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> merged(Map<String, Object> older, Map<String, Object> newer) {
        Map<String, Object> body = new LinkedHashMap<>(newer);
        if (older.get("outputs") instanceof Map<?, ?> before) {
            Map<String, Object> outputs = new LinkedHashMap<>((Map<String, Object>) before);
            if (newer.get("outputs") instanceof Map<?, ?> now) {
                outputs.putAll((Map<String, Object>) now);
            }
            body.put("outputs", outputs);
        }
        if (!body.containsKey("tools") && older.containsKey("tools")) {
            body.put("tools", older.get("tools"));
        }
        return body;
    }

    /** Waits until the job's queued callbacks have been sent (or given up on); false when {@code max} ran out first. */
    public boolean awaitSent(RunnerJob job, Duration max) {
        try {
            job.callbacksSent.get(max.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true; // each send catches its own failures; nothing is left to wait for
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Map<String, Object> body(RunnerJob job, Map<String, Object> extra) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", job.jobId);
        body.put("status", job.status);
        body.put("phase", job.phase);
        body.put("progress", job.progress);
        if (job.error != null) {
            body.put("error", job.error);
        }
        body.putAll(extra);
        if (job.runnerUrl != null) {
            body.put("runnerUrl", job.runnerUrl);
        }
        // this runner reports each output's provenance once uploaded, and completes after its uploads
        body.put("provenance", true);
        body.put("nonce", UUID.randomUUID().toString());
        return body;
    }

    /** Sends one callback ({@code terminal}: retried); true when the orchestrator answered 2xx. */
    private boolean post(RunnerJob job, Map<String, Object> body, boolean terminal) {
        int attempts = terminal ? TERMINAL_ATTEMPTS : 1;
        for (int i = 0; i < attempts; i++) {
            body.put("ts", clock.millis());
            try {
                SignedHttp.Response r = http.post(URI.create(job.callbackUrl), body, Duration.ofSeconds(10));
                metrics.runnerCallback(job, r.ok());
                if (r.ok()) {
                    return true;
                }
                LOG.warn("callback {} {} for job {} answered {}", body.get("status"), body.get("phase"), job.jobId, r.status());
                if (r.status() / 100 == 4 && r.status() != 429) {
                    return false; // the orchestrator will not take it; retrying changes nothing
                }
            } catch (IOException e) {
                metrics.runnerCallback(job, false);
                LOG.warn("callback {} for job {} failed: {}", body.get("status"), job.jobId, e.getClass().getSimpleName());
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
