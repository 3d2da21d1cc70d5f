package dev.mediaorchestrator.orchestrator;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A job's state as one immutable value, with the store {@link #version} (the ETag of the record in
 * the bucket) it was read or written as. Nothing changes a {@code Job}: a change is a transition
 * function from one value to the next ({@link JobTransitions}), applied by {@link JobStore#transition}
 * on a fresh read and written with {@code If-Match} on that version. {@link #draft()} gives a mutable
 * copy for a transition to build the next value from.
 *
 * <p>{@link #document()} is the contract's job document ({@link JobDocument}); {@link JobRecord} is
 * its record in the bucket, {@link TerminalCallback} its callback. The engine options (which may
 * hold proxy credentials, cookies) are in no document, no log and, in the bucket, only encrypted
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
    public final TerminalCallback callback;
    /** The subtitle languages found in the bucket when the job completed (null until then, or when none were asked for). */
    public final List<String> subtitles;
    /** Per output (kind, or {@code subtitles.{lang}}): {@code size}, {@code contentType}, {@code sha256} as the runner reported them or the bucket said. */
    public final Map<String, Map<String, Object>> provenance;
    /** The versions of the tools the runner ran ({@code ffmpeg}, {@code yt-dlp}, …), when it reported them. */
    public final Map<String, String> tools;
    /** The runner reports provenance (this project's runners): completion waits a little for its report (CompletionCheck). */
    public final boolean reportsProvenance;
    /** How many times a runner has taken the job (a runner that lost it: the job is dispatched again, up to JOB_MAX_ATTEMPTS). */
    public final int runs;
    /** The W3C trace context of the request that created the job (null: tracing off): its later work joins that trace. */
    public final String traceparent;
    /** When each phase (or status) began: {@code [{phase, at}]}, oldest first, at most {@value #MAX_TIMELINE} (JobStore keeps it). */
    public final List<Map<String, Object>> timeline;
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
        this.callback = d.callback == null ? TerminalCallback.NONE : d.callback;
        this.subtitles = d.subtitles == null ? null : List.copyOf(d.subtitles);
        this.provenance = d.provenance == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(d.provenance));
        this.tools = d.tools == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(d.tools));
        this.reportsProvenance = d.reportsProvenance;
        this.runs = d.runs;
        this.traceparent = d.traceparent;
        this.timeline = d.timeline == null ? List.of() : List.copyOf(d.timeline);
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
        return isTerminal() && (callback.delivered() || callback.abandoned()) && (segments == null || !segments.needsCleanUp());
    }

    public String outputKey(Engine.OutputKind kind) {
        return outputs().contains(kind) ? engine.outputKey(mediaId, jobId, kind) : null;
    }

    /** The outputs this job must have to be complete ({@link Engine#outputsFor}). */
    public List<Engine.OutputKind> outputs() {
        return engine.outputsFor(options);
    }

    /** The subtitle languages this job asked for. */
    public List<String> subtitleLanguages() {
        return engine.subtitleLanguages(options);
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

    /** The contract's job document ({@link JobDocument}). */
    public Map<String, Object> document() {
        return document(0);
    }

    /** The contract's job document; {@code queuePosition} (when above 0) is shown while the job waits. */
    public Map<String, Object> document(int queuePosition) {
        return JobDocument.of(this, queuePosition);
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
        public TerminalCallback callback = TerminalCallback.NONE;
        public List<String> subtitles;
        public Map<String, Map<String, Object>> provenance;
        public Map<String, String> tools;
        public boolean reportsProvenance;
        public int runs;
        public String traceparent;
        public List<Map<String, Object>> timeline;
        public SegmentedBurn segments;
        String version;

        Draft(String jobId, String mediaId, Engine engine, Map<String, Object> options, long createdAt, String dispatchNonce) {
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
            List<Map<String, Object>> t = new ArrayList<>(timeline == null ? List.of() : timeline);
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
}
