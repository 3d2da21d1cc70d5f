package dev.mediaorchestrator.orchestrator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A job's state as one immutable value, with the store {@link #version} (the ETag of the record in
 * the bucket) it was read or written as. Nothing changes a {@code Job}: a change is a transition
 * function from one value to the next ({@link JobTransitions}), applied by {@link JobStore#transition}
 * on a fresh read and written with {@code If-Match} on that version. {@link #draft()} gives a mutable
 * copy for a transition to build the next value from.
 *
 * <p>{@link #document()} is the contract's job document. The engine options (which may hold proxy
 * credentials, cookies) are in no document, no log and, in the bucket, only encrypted
 * ({@link StateCodec}).
 */
public final class Job {
    public static final Set<String> TERMINAL = Set.of("completed", "failed", "canceled");

    public final String jobId;
    public final String mediaId;
    public final Engine engine;
    private final Map<String, Object> options;
    public final long createdAt;
    /** The nonce of the dispatch event, kept across dispatch retries. */
    public final String dispatchNonce;
    /**
     * The orchestrator replica that recorded the job, whose share it is (see {@link Shares}); its
     * active marker is {@code state/active/{owner}/{jobId}}. Null for a job recorded alone or
     * before owners were kept (marker {@code state/active/{jobId}}).
     */
    public final String owner;

    public final String status;
    public final String phase;
    public final double progress;
    public final Map<String, Object> metadata;
    public final String error;
    /** The last change (ms). */
    public final long ts;
    public final Long durationMs;
    /** Dispatch attempts so far. */
    public final int attempts;
    public final boolean dispatched;
    public final String dispatchError;
    public final Long lastDispatchAt;
    /** When the next dispatch attempt is due (while not dispatched); while one is in flight, when its claim runs out. */
    public final long nextDispatchAt;
    /** The claim of the dispatch attempt in flight (one replica at a time sends a job), null when none. */
    public final String dispatchClaim;
    /** The runner said {@code completed}; the job completes once its outputs are in the bucket. */
    public final boolean runnerCompleted;
    /** When the runner first said {@code completed} in this run (0: it has not); missing outputs fail the job a grace after it. */
    public final long runnerCompletedAt;
    /**
     * Where this run's runner said it can be reached ({@code runnerUrl} of its answer or callbacks,
     * checked by {@link RunnerAddress}); its probes and cancel go there. Null: the engine's runner URL.
     */
    public final String runnerUrl;
    /** This run's runner has answered a probe with a status (200): a 404 from it says it lost the job. */
    public final boolean runnerServesStatus;
    /** When the first dispatch attempt failed (0: none failed); the dispatch deadline counts from it. */
    public final long firstAttemptAt;
    /** When the runner last reported (accepted the job or called back); a quiet runner is probed from then on. */
    public final long lastReportAt;
    /** When the runner's {@code /status} was last asked about the job (0: never). */
    public final long lastProbeAt;
    /** Probes in a row that found no answer or a runner that does not know the job. */
    public final int probeMisses;
    /** The terminal callback to the app. */
    public final Callback callback;
    /** The subtitle languages found in the bucket when the job completed (null until then, or when none were asked for). */
    public final java.util.List<String> subtitles;
    /** Per output (kind, or {@code subtitles.{lang}}): {@code size}, {@code contentType}, {@code sha256} as the runner reported them or the bucket said. */
    public final Map<String, Map<String, Object>> provenance;
    /** The versions of the tools the runner ran ({@code ffmpeg}, {@code yt-dlp}, …), when it reported them. */
    public final Map<String, String> tools;
    /** The runner reports provenance (this project's runners): completion waits a little for its report (Lifecycle). */
    public final boolean reportsProvenance;
    /** How many times a runner has taken the job (a runner that lost it: the job is dispatched again, up to JOB_MAX_ATTEMPTS). */
    public final int runs;
    /** The W3C trace context of the request that created the job (null: tracing off): its later work joins that trace. */
    public final String traceparent;
    /** When each phase (or status) began: {@code [{phase, at}]}, oldest first, at most {@value #MAX_TIMELINE} (JobStore keeps it). */
    public final java.util.List<Map<String, Object>> timeline;
    /** A burn split into segments, or being planned (docs/segmented-burn.md); null for a job never planned. */
    public final SegmentedBurn segments;
    /** The version (ETag) of the stored record this value is; null before it is stored. */
    public final String version;
    /** The timeline keeps the first entry and the latest ones up to this many. */
    public static final int MAX_TIMELINE = 40;

    /** A new queued job. */
    public Job(String jobId, String mediaId, Engine engine, Map<String, Object> options, long createdAt, String dispatchNonce) {
        this(new Draft(jobId, mediaId, engine, options, createdAt, dispatchNonce));
    }

    private Job(Draft d) {
        this.jobId = d.jobId;
        this.mediaId = d.mediaId;
        this.engine = d.engine;
        this.options = d.options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(d.options));
        this.createdAt = d.createdAt;
        this.dispatchNonce = d.dispatchNonce;
        this.owner = d.owner;
        this.status = d.status;
        this.phase = d.phase;
        this.progress = d.progress;
        this.metadata = d.metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(d.metadata));
        this.error = d.error;
        this.ts = d.ts;
        this.durationMs = d.durationMs;
        this.attempts = d.attempts;
        this.dispatched = d.dispatched;
        this.dispatchError = d.dispatchError;
        this.lastDispatchAt = d.lastDispatchAt;
        this.nextDispatchAt = d.nextDispatchAt;
        this.dispatchClaim = d.dispatchClaim;
        this.runnerCompleted = d.runnerCompleted;
        this.runnerCompletedAt = d.runnerCompletedAt;
        this.runnerUrl = d.runnerUrl;
        this.runnerServesStatus = d.runnerServesStatus;
        this.firstAttemptAt = d.firstAttemptAt;
        this.lastReportAt = d.lastReportAt;
        this.lastProbeAt = d.lastProbeAt;
        this.probeMisses = d.probeMisses;
        this.callback = d.callback == null ? Callback.NONE : d.callback;
        this.subtitles = d.subtitles == null ? null : java.util.List.copyOf(d.subtitles);
        this.provenance = d.provenance == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(d.provenance));
        this.tools = d.tools == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(d.tools));
        this.reportsProvenance = d.reportsProvenance;
        this.runs = d.runs;
        this.traceparent = d.traceparent;
        this.timeline = d.timeline == null ? java.util.List.of() : java.util.List.copyOf(d.timeline);
        this.segments = d.segments;
        this.version = d.version;
    }

    /** The request's options, passed to the runner as engineOptions; never shown, logged or stored in clear. */
    public Map<String, Object> options() {
        return options;
    }

    public boolean isTerminal() {
        return TERMINAL.contains(status);
    }

    /** Terminal with its callback delivered (or given up), and its segments cleaned up: nothing left to do for it. */
    public boolean isDone() {
        return isTerminal() && (callback.delivered || callback.abandoned) && (segments == null || !segments.needsCleanUp());
    }

    public String outputKey(Engine.OutputKind kind) {
        return outputs().contains(kind) ? engine.outputKey(mediaId, jobId, kind) : null;
    }

    /** The outputs this job must have to be complete ({@link Engine#outputsFor}). */
    public java.util.List<Engine.OutputKind> outputs() {
        return engine.outputsFor(options);
    }

    /** The subtitle languages this job asked for. */
    public java.util.List<String> subtitleLanguages() {
        return engine.subtitleLanguages(options);
    }

    /** {@code [{lang, key, size…}]} of the subtitles found, for the document and the callback (null when none were asked for). */
    static java.util.List<Map<String, Object>> subtitleOutputs(Engine engine, String mediaId, String jobId, java.util.List<String> found,
                                                               Map<String, Map<String, Object>> provenance) {
        if (found == null) {
            return null;
        }
        java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (String lang : found) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("lang", lang);
            e.putAll(outputEntry(engine.subtitleKey(mediaId, jobId, lang), provenance == null ? null : provenance.get("subtitles." + lang)));
            out.add(e);
        }
        return out;
    }

    /** {@code {key, size, contentType, sha256}} of an output, with what is known of it. */
    static Map<String, Object> outputEntry(String key, Map<String, Object> provenance) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("key", key);
        if (provenance != null) {
            for (String f : java.util.List.of("size", "contentType", "sha256")) {
                if (provenance.get(f) != null) {
                    e.put(f, provenance.get(f));
                }
            }
        }
        return e;
    }

    /** A mutable copy to build the next value from. */
    public Draft draft() {
        return new Draft(this);
    }

    /** This value as stored under {@code version}. */
    public Job withVersion(String newVersion) {
        Draft d = draft();
        d.version = newVersion;
        return d.build();
    }

    /** The contract's job document. */
    public Map<String, Object> document() {
        return document(0);
    }

    /** The contract's job document; {@code queuePosition} (when above 0) is shown while the job waits. */
    public Map<String, Object> document(int queuePosition) {
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
        for (Engine.OutputKind k : outputs()) {
            outputs.put(k.id, outputEntry(outputKey(k), provenance.get(k.id)));
        }
        if (subtitles != null) {
            outputs.put("subtitles", subtitleOutputs(engine, mediaId, jobId, subtitles, provenance));
        }
        d.put("outputs", outputs);
        if (tools != null) {
            d.put("tools", tools);
        }
        d.put("metadata", metadata);
        d.put("error", error);
        d.put("createdAt", createdAt);
        d.put("ts", ts);
        d.put("durationMs", durationMs);
        d.put("attempts", attempts);
        d.put("runs", runs);
        d.put("timeline", timeline);
        d.put("segments", segments == null ? null : segments.document());
        if (queuePosition > 0 && !dispatched && !isTerminal()) {
            d.put("queuePosition", queuePosition);
        }
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("accepted", dispatched);
        dispatch.put("lastAttemptAt", lastDispatchAt);
        dispatch.put("lastError", dispatchError);
        dispatch.put("runnerUrl", runnerUrl);
        d.put("dispatch", dispatch);
        if (isTerminal()) {
            Map<String, Object> cb = new LinkedHashMap<>();
            cb.put("delivered", callback.delivered);
            cb.put("attempts", callback.attempts);
            cb.put("nextAttemptAt", callback.delivered || callback.abandoned || callback.nextAttemptAt == 0 ? null : callback.nextAttemptAt);
            cb.put("lastStatus", callback.lastStatus == 0 ? null : callback.lastStatus);
            cb.put("lastError", callback.lastError);
            if (callback.abandoned) {
                cb.put("abandoned", true);
            }
            d.put("callback", cb);
        }
        return d;
    }

    /**
     * Everything about the job for its record in the bucket ({@code state/jobs/{jobId}.json}),
     * except the options, which the caller stores encrypted.
     */
    public Map<String, Object> toState() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobId", jobId);
        m.put("mediaId", mediaId);
        m.put("engine", engine.id);
        m.put("createdAt", createdAt);
        m.put("dispatchNonce", dispatchNonce);
        m.put("owner", owner);
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
        m.put("dispatchClaim", dispatchClaim);
        m.put("runnerCompleted", runnerCompleted);
        m.put("runnerCompletedAt", runnerCompletedAt);
        m.put("runnerUrl", runnerUrl);
        m.put("runnerServesStatus", runnerServesStatus);
        m.put("lastReportAt", lastReportAt);
        m.put("lastProbeAt", lastProbeAt);
        m.put("probeMisses", probeMisses);
        m.put("firstAttemptAt", firstAttemptAt);
        m.put("callback", callback.toState());
        m.put("subtitles", subtitles);
        m.put("provenance", provenance);
        m.put("tools", tools);
        m.put("reportsProvenance", reportsProvenance);
        m.put("runs", runs);
        m.put("traceparent", traceparent);
        m.put("timeline", timeline);
        if (segments != null) {
            m.put("segments", segments.toState());
        }
        return m;
    }

    /** A job from its record ({@link #toState()}), the decrypted {@code options} and the record's version. */
    @SuppressWarnings("unchecked")
    public static Job fromState(Map<String, Object> m, Map<String, Object> options, String version) {
        Engine engine = Engine.of((String) m.get("engine")).orElseThrow(() -> new IllegalArgumentException("unknown engine in state"));
        Draft d = new Draft((String) m.get("jobId"), (String) m.get("mediaId"), engine, options,
                num(m.get("createdAt")), (String) m.get("dispatchNonce"));
        d.owner = m.get("owner") instanceof String o && Shares.isMemberId(o) ? o : null;
        d.status = (String) m.get("status");
        d.phase = (String) m.get("phase");
        d.progress = m.get("progress") instanceof Number n ? n.doubleValue() : 0;
        d.metadata = m.get("metadata") instanceof Map<?, ?> md ? (Map<String, Object>) md : null;
        d.error = (String) m.get("error");
        d.ts = num(m.get("ts"));
        d.durationMs = m.get("durationMs") == null ? null : num(m.get("durationMs"));
        d.attempts = (int) num(m.get("attempts"));
        d.dispatched = Boolean.TRUE.equals(m.get("dispatched"));
        d.dispatchError = (String) m.get("dispatchError");
        d.lastDispatchAt = m.get("lastDispatchAt") == null ? null : num(m.get("lastDispatchAt"));
        d.nextDispatchAt = num(m.get("nextDispatchAt"));
        d.dispatchClaim = (String) m.get("dispatchClaim");
        d.runnerCompleted = Boolean.TRUE.equals(m.get("runnerCompleted"));
        d.runnerCompletedAt = num(m.get("runnerCompletedAt"));
        d.runnerUrl = m.get("runnerUrl") instanceof String u ? u : null;
        d.runnerServesStatus = Boolean.TRUE.equals(m.get("runnerServesStatus"));
        d.lastReportAt = num(m.get("lastReportAt"));
        d.lastProbeAt = num(m.get("lastProbeAt"));
        d.probeMisses = (int) num(m.get("probeMisses"));
        d.firstAttemptAt = num(m.get("firstAttemptAt"));
        d.callback = m.get("callback") instanceof Map<?, ?> cb ? Callback.fromState((Map<String, Object>) cb) : Callback.NONE;
        d.subtitles = m.get("subtitles") instanceof java.util.List<?> l ? l.stream().map(String::valueOf).toList() : null;
        if (m.get("provenance") instanceof Map<?, ?> p) {
            d.provenance = new LinkedHashMap<>();
            p.forEach((k, v) -> {
                if (v instanceof Map<?, ?> entry) {
                    d.provenance.put(String.valueOf(k), (Map<String, Object>) entry);
                }
            });
        }
        d.reportsProvenance = Boolean.TRUE.equals(m.get("reportsProvenance"));
        d.runs = (int) num(m.get("runs"));
        d.traceparent = m.get("traceparent") instanceof String t ? t : null;
        if (m.get("timeline") instanceof java.util.List<?> t) {
            d.timeline = new java.util.ArrayList<>();
            for (Object e : t) {
                if (e instanceof Map<?, ?> entry) {
                    d.timeline.add((Map<String, Object>) entry);
                }
            }
        }
        d.segments = SegmentedBurn.fromState(m.get("segments"));
        if (m.get("tools") instanceof Map<?, ?> t) {
            d.tools = new LinkedHashMap<>();
            t.forEach((k, v) -> d.tools.put(String.valueOf(k), String.valueOf(v)));
        }
        d.version = version;
        return d.build();
    }

    static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    /** A mutable copy of a job, for one transition; {@link #build()} makes the next value. */
    public static final class Draft {
        public final String jobId;
        public final String mediaId;
        public final Engine engine;
        public final Map<String, Object> options;
        public final long createdAt;
        public final String dispatchNonce;
        public String owner;
        public String status = "queued";
        public String phase = "queued";
        public double progress;
        public Map<String, Object> metadata;
        public String error;
        public long ts;
        public Long durationMs;
        public int attempts;
        public boolean dispatched;
        public String dispatchError;
        public Long lastDispatchAt;
        public long nextDispatchAt;
        public String dispatchClaim;
        public boolean runnerCompleted;
        public long runnerCompletedAt;
        public String runnerUrl;
        public boolean runnerServesStatus;
        public long firstAttemptAt;
        public long lastReportAt;
        public long lastProbeAt;
        public int probeMisses;
        public Callback callback = Callback.NONE;
        public java.util.List<String> subtitles;
        public Map<String, Map<String, Object>> provenance;
        public Map<String, String> tools;
        public boolean reportsProvenance;
        public int runs;
        public String traceparent;
        public java.util.List<Map<String, Object>> timeline;
        public SegmentedBurn segments;
        String version;

        private Draft(String jobId, String mediaId, Engine engine, Map<String, Object> options, long createdAt, String dispatchNonce) {
            this.jobId = jobId;
            this.mediaId = mediaId;
            this.engine = engine;
            this.options = options;
            this.createdAt = createdAt;
            this.ts = createdAt;
            this.dispatchNonce = dispatchNonce;
        }

        private Draft(Job j) {
            this(j.jobId, j.mediaId, j.engine, j.options, j.createdAt, j.dispatchNonce);
            owner = j.owner;
            status = j.status;
            phase = j.phase;
            progress = j.progress;
            metadata = j.metadata;
            error = j.error;
            ts = j.ts;
            durationMs = j.durationMs;
            attempts = j.attempts;
            dispatched = j.dispatched;
            dispatchError = j.dispatchError;
            lastDispatchAt = j.lastDispatchAt;
            nextDispatchAt = j.nextDispatchAt;
            dispatchClaim = j.dispatchClaim;
            runnerCompleted = j.runnerCompleted;
            runnerCompletedAt = j.runnerCompletedAt;
            runnerUrl = j.runnerUrl;
            runnerServesStatus = j.runnerServesStatus;
            firstAttemptAt = j.firstAttemptAt;
            lastReportAt = j.lastReportAt;
            lastProbeAt = j.lastProbeAt;
            probeMisses = j.probeMisses;
            callback = j.callback;
            subtitles = j.subtitles;
            provenance = new LinkedHashMap<>(j.provenance);
            tools = j.tools;
            reportsProvenance = j.reportsProvenance;
            runs = j.runs;
            traceparent = j.traceparent;
            timeline = j.timeline;
            segments = j.segments;
            version = j.version;
        }

        public boolean isTerminal() {
            return TERMINAL.contains(status);
        }

        public Job build() {
            return new Job(this);
        }

        /** Notes that {@code phase} began at {@code at} (nothing when it is the current entry already). */
        public void began(String newPhase, long at) {
            java.util.List<Map<String, Object>> t = new java.util.ArrayList<>(timeline == null ? java.util.List.of() : timeline);
            if (!t.isEmpty() && newPhase.equals(t.get(t.size() - 1).get("phase"))) {
                return;
            }
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("phase", newPhase);
            e.put("at", at);
            t.add(e);
            while (t.size() > MAX_TIMELINE) {
                t.remove(1); // the first entry (queued at creation) stays
            }
            timeline = t;
        }
    }

    /**
     * The terminal callback as a stored event: its {@code nonce} and {@code event} (the body's
     * stable fields) are fixed in the job's terminal transition, before any attempt, so a crash at
     * any point leads to the same event being retried; {@code ts} and presigned URLs are made fresh
     * for each attempt. {@code leaseOwner}/{@code leaseUntil}: the orchestrator sending it now.
     */
    public record Callback(String nonce, Map<String, Object> event, boolean delivered, boolean abandoned, int attempts,
                           String lastError, long nextAttemptAt, String leaseOwner, long leaseUntil,
                           int lastStatus, java.util.List<Map<String, Object>> log) {
        public static final Callback NONE = new Callback(null, null, false, false, 0, null, 0, null, 0, 0, java.util.List.of());
        /** The delivery log keeps the last this many attempts. */
        public static final int MAX_LOG = 50;

        public Callback {
            log = log == null ? java.util.List.of() : java.util.List.copyOf(log);
        }

        public Callback withEvent(String newNonce, Map<String, Object> newEvent, long dueAt) {
            return new Callback(newNonce, newEvent, false, false, 0, null, dueAt, null, 0, 0, java.util.List.of());
        }

        public Callback leased(String owner, long until) {
            return new Callback(nonce, event, delivered, abandoned, attempts, lastError, nextAttemptAt, owner, until, lastStatus, log);
        }

        /**
         * One attempt done: {@code ok} (a 2xx), else {@code error}; {@code nextAt} is when to try again
         * (0 with {@code giveUp}: never). A delivered callback stays delivered (a redelivery that fails
         * does not undo it). {@code entry} goes into the log.
         */
        public Callback attempted(boolean ok, int status, String error, long nextAt, boolean giveUp, Map<String, Object> entry) {
            java.util.List<Map<String, Object>> l = new java.util.ArrayList<>(log);
            l.add(entry);
            while (l.size() > MAX_LOG) {
                l.remove(0);
            }
            boolean done = delivered || ok;
            return new Callback(nonce, event, done, !done && giveUp, attempts + 1, ok ? null : error,
                    done || giveUp ? 0 : nextAt, null, 0, status, l);
        }

        Map<String, Object> toState() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("nonce", nonce);
            m.put("event", event);
            m.put("delivered", delivered);
            m.put("abandoned", abandoned);
            m.put("attempts", attempts);
            m.put("lastError", lastError);
            m.put("nextAttemptAt", nextAttemptAt);
            m.put("leaseOwner", leaseOwner);
            m.put("leaseUntil", leaseUntil);
            m.put("lastStatus", lastStatus);
            m.put("log", log);
            return m;
        }

        @SuppressWarnings("unchecked")
        static Callback fromState(Map<String, Object> m) {
            java.util.List<Map<String, Object>> log = new java.util.ArrayList<>();
            if (m.get("log") instanceof java.util.List<?> l) {
                l.forEach(e -> {
                    if (e instanceof Map<?, ?> entry) {
                        log.add((Map<String, Object>) entry);
                    }
                });
            }
            return new Callback((String) m.get("nonce"), m.get("event") instanceof Map<?, ?> e ? (Map<String, Object>) e : null,
                    Boolean.TRUE.equals(m.get("delivered")), Boolean.TRUE.equals(m.get("abandoned")), (int) num(m.get("attempts")),
                    (String) m.get("lastError"), num(m.get("nextAttemptAt")), (String) m.get("leaseOwner"), num(m.get("leaseUntil")),
                    (int) num(m.get("lastStatus")), log);
        }
    }
}
