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

    /** Delivery state of the terminal callback: one nonce for every attempt. */
    public static final class CallbackState {
        public String nonce;
        public boolean delivered;
        public int attempts;
        public String lastError;
        public long nextAttemptAt;
    }
}
