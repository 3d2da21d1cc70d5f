package dev.mediaorchestrator.runner;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleSupplier;

/** A job as a runner sees it: its payload, work directory, and the state it last reported. */
public final class RunnerJob {
    public final String jobId;
    public final String engine;
    public final Map<String, Object> payload;
    public final String callbackUrl;
    public final long startedAt;
    /** Where the orchestrator can reach the runner that runs this job ({@code runnerUrl} of its answer and callbacks), or null. */
    public volatile String runnerUrl;
    /**
     * The kind of task, for an engine whose {@code /render} takes several (the burner's
     * {@code segment}, {@code join}, {@code plan}); null for the contract's job.
     */
    public volatile String task;
    /** The per-job temp directory; set by the first step, removed by the last. */
    public volatile Path workDir;
    public volatile String status = "queued";
    public volatile String phase = "queued";
    public volatile double progress;
    public volatile String error;
    public volatile long updatedAt;
    /** While a tool runs: where the progress timer reads the job's progress (0..1 in the contract's range). */
    public volatile DoubleSupplier liveProgress;
    /** Outputs uploaded so far: kind → {key, size, contentType, sha256} (CONTRACT.md, provenance). */
    public final Map<String, Map<String, Object>> uploaded = new ConcurrentHashMap<>();
    /** Set when the job is stopped from outside (cancel: {@code canceled}; stall: {@code failed}). */
    public volatile String abortStatus;
    public volatile String abortReason;
    /** When the running tool's progress last moved (for {@code RUNNER_STALL_SECONDS}). */
    volatile long lastAdvanceAt;
    volatile double lastAdvance = -1;
    /** What the job's last callback said, for the "every 10 % or 5 s" rule. */
    volatile double reportedProgress;
    volatile long reportedAt;
    /** The job's callbacks, sent in order in the background: the last one queued (RunnerCallbacks). */
    volatile CompletableFuture<Void> callbacksSent = CompletableFuture.completedFuture(null);
    /** The last callback queued (RunnerCallbacks merges a waiting report into the next one); guarded by {@code this}. */
    RunnerCallbacks.Report lastReport;
    /** Callbacks queued and not yet sent. */
    final AtomicInteger callbacksPending = new AtomicInteger();

    public RunnerJob(String jobId, String engine, Map<String, Object> payload, String callbackUrl, long now) {
        this.jobId = jobId;
        this.engine = engine;
        this.payload = payload;
        this.callbackUrl = callbackUrl;
        this.startedAt = now;
        this.updatedAt = now;
    }

    public String string(String field) {
        Object v = payload.get(field);
        return v instanceof String s ? s : null;
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> engineOptions() {
        Object v = payload.get("engineOptions");
        return v instanceof Map ? (Map<String, Object>) v : Map.of();
    }

    public boolean isTerminal() {
        return "completed".equals(status) || "failed".equals(status) || "canceled".equals(status);
    }

    /** The runner's local view, for {@code GET /status/{jobId}}. */
    public Map<String, Object> document() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("jobId", jobId);
        d.put("engine", engine);
        d.put("status", status);
        d.put("phase", phase);
        d.put("progress", progress);
        d.put("error", error);
        d.put("startedAt", startedAt);
        d.put("updatedAt", updatedAt);
        return d;
    }
}
