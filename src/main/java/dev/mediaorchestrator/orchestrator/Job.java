package dev.mediaorchestrator.orchestrator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A job's state. Mutated only through {@link JobStore#update}, which serialises changes per job;
 * {@link #document()} is the contract's job document (internal fields such as the engine options,
 * which may hold proxy credentials, are not in it).
 */
public final class Job {
    public static final Set<String> TERMINAL = Set.of("completed", "failed", "canceled");

    public final String jobId;
    public final String mediaId;
    public final Engine engine;
    /** The request's options, passed to the runner as engineOptions; never shown in the document. */
    public final Map<String, Object> options;
    public final long createdAt;
    /** The nonce of the dispatch event, kept across dispatch retries. */
    public final String dispatchNonce;

    public String status = "queued";
    public String phase = "queued";
    public double progress;
    public Map<String, Object> metadata;
    public String error;
    public long ts;
    public Long durationMs;
    /** Dispatch attempts so far. */
    public int attempts;
    public boolean dispatched;
    public String dispatchError;
    public Long lastDispatchAt;
    /** When the next dispatch attempt is due (while not dispatched). */
    public long nextDispatchAt;
    /** The runner said {@code completed}; the job completes once its outputs are in the bucket. */
    public boolean runnerCompleted;
    /** When the first dispatch attempt failed (0: none failed); the dispatch deadline counts from it. */
    public long firstAttemptAt;
    /** When the runner last reported (accepted the job or called back); a quiet runner is probed from then on. */
    public long lastReportAt;
    /** When the runner's {@code /status} was last asked about the job (0: never). */
    public long lastProbeAt;
    /** Probes in a row that found no answer or a runner that does not know the job. */
    public int probeMisses;
    /** Place in its engine's queue while waiting for a free slot (0 when not waiting); set by the dispatcher. */
    public int queuePosition;
    /** The terminal callback to the app. */
    public final CallbackState callback = new CallbackState();

    public Job(String jobId, String mediaId, Engine engine, Map<String, Object> options, long createdAt, String dispatchNonce) {
        this.jobId = jobId;
        this.mediaId = mediaId;
        this.engine = engine;
        this.options = options;
        this.createdAt = createdAt;
        this.ts = createdAt;
        this.dispatchNonce = dispatchNonce;
    }

    public boolean isTerminal() {
        return TERMINAL.contains(status);
    }

    public String outputKey(Engine.OutputKind kind) {
        return engine.outputs.contains(kind) ? engine.outputKey(mediaId, jobId, kind) : null;
    }

    public synchronized Map<String, Object> document() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("jobId", jobId);
        d.put("mediaId", mediaId);
        d.put("engine", engine.id);
        d.put("status", status);
        d.put("phase", phase);
        d.put("progress", progress);
        d.put("outputKey", outputKey(Engine.OutputKind.VIDEO));
        d.put("outputAudioKey", outputKey(Engine.OutputKind.AUDIO));
        d.put("outputMetadataKey", outputKey(Engine.OutputKind.METADATA));
        Map<String, Object> outputs = new LinkedHashMap<>();
        for (Engine.OutputKind k : engine.outputs) {
            outputs.put(k.id, Map.of("key", outputKey(k)));
        }
        d.put("outputs", outputs);
        d.put("metadata", metadata);
        d.put("error", error);
        d.put("createdAt", createdAt);
        d.put("ts", ts);
        d.put("durationMs", durationMs);
        d.put("attempts", attempts);
        if (queuePosition > 0 && !dispatched && !isTerminal()) {
            d.put("queuePosition", queuePosition);
        }
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("accepted", dispatched);
        dispatch.put("lastAttemptAt", lastDispatchAt);
        dispatch.put("lastError", dispatchError);
        d.put("dispatch", dispatch);
        if (isTerminal()) {
            Map<String, Object> cb = new LinkedHashMap<>();
            cb.put("delivered", callback.delivered);
            cb.put("attempts", callback.attempts);
            cb.put("lastError", callback.lastError);
            d.put("callback", cb);
        }
        return d;
    }

    /** Everything about the job, for the durable copy in the bucket ({@code state/jobs/{jobId}.json}). */
    public synchronized Map<String, Object> toState() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobId", jobId);
        m.put("mediaId", mediaId);
        m.put("engine", engine.id);
        m.put("options", options);
        m.put("createdAt", createdAt);
        m.put("dispatchNonce", dispatchNonce);
        m.put("status", status);
        m.put("phase", phase);
        m.put("progress", progress);
        m.put("metadata", metadata);
        m.put("error", error);
        m.put("ts", ts);
        m.put("durationMs", durationMs);
        m.put("attempts", attempts);
        m.put("dispatched", dispatched);
        m.put("dispatchError", dispatchError);
        m.put("lastDispatchAt", lastDispatchAt);
        m.put("nextDispatchAt", nextDispatchAt);
        m.put("runnerCompleted", runnerCompleted);
        m.put("lastReportAt", lastReportAt);
        m.put("lastProbeAt", lastProbeAt);
        m.put("probeMisses", probeMisses);
        m.put("firstAttemptAt", firstAttemptAt);
        Map<String, Object> cb = new LinkedHashMap<>();
        cb.put("nonce", callback.nonce);
        cb.put("delivered", callback.delivered);
        cb.put("attempts", callback.attempts);
        cb.put("lastError", callback.lastError);
        cb.put("nextAttemptAt", callback.nextAttemptAt);
        m.put("callback", cb);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static Job fromState(Map<String, Object> m) {
        Engine engine = Engine.of((String) m.get("engine")).orElseThrow(() -> new IllegalArgumentException("unknown engine in state"));
        Job j = new Job((String) m.get("jobId"), (String) m.get("mediaId"), engine,
                m.get("options") instanceof Map<?, ?> o ? (Map<String, Object>) o : Map.of(),
                num(m.get("createdAt")), (String) m.get("dispatchNonce"));
        j.status = (String) m.get("status");
        j.phase = (String) m.get("phase");
        j.progress = m.get("progress") instanceof Number n ? n.doubleValue() : 0;
        j.metadata = m.get("metadata") instanceof Map<?, ?> md ? (Map<String, Object>) md : null;
        j.error = (String) m.get("error");
        j.ts = num(m.get("ts"));
        j.durationMs = m.get("durationMs") == null ? null : num(m.get("durationMs"));
        j.attempts = (int) num(m.get("attempts"));
        j.dispatched = Boolean.TRUE.equals(m.get("dispatched"));
        j.dispatchError = (String) m.get("dispatchError");
        j.lastDispatchAt = m.get("lastDispatchAt") == null ? null : num(m.get("lastDispatchAt"));
        j.nextDispatchAt = num(m.get("nextDispatchAt"));
        j.runnerCompleted = Boolean.TRUE.equals(m.get("runnerCompleted"));
        j.lastReportAt = num(m.get("lastReportAt"));
        j.lastProbeAt = num(m.get("lastProbeAt"));
        j.probeMisses = (int) num(m.get("probeMisses"));
        j.firstAttemptAt = num(m.get("firstAttemptAt"));
        if (m.get("callback") instanceof Map<?, ?> cb) {
            j.callback.nonce = (String) cb.get("nonce");
            j.callback.delivered = Boolean.TRUE.equals(cb.get("delivered"));
            j.callback.attempts = (int) num(cb.get("attempts"));
            j.callback.lastError = (String) cb.get("lastError");
            j.callback.nextAttemptAt = num(cb.get("nextAttemptAt"));
        }
        return j;
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    /** Delivery state of the terminal callback: one nonce for every attempt. */
    public static final class CallbackState {
        public String nonce;
        public boolean delivered;
        public int attempts;
        public String lastError;
        public long nextAttemptAt;
    }
}
