package dev.mediaorchestrator.orchestrator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A burn job's segmented state (docs/segmented-burn.md), kept in its record ({@link Job#segments}) so
 * that a restarted orchestrator loses no task already done: the plan task, then one task per segment
 * and the join task. Immutable like {@link Job}; {@link SegmentTransitions} makes the next value.
 *
 * <ul>
 *   <li>{@link Mode#PLANNING}: the plan task (where to cut) is queued or runs on a burner.</li>
 *   <li>{@link Mode#SPLIT}: the plan cut the input; the segments' tasks, then the join.</li>
 *   <li>{@link Mode#SINGLE}: planned, and burned in one run as before ({@link #reason}: why).</li>
 * </ul>
 * A job that was never planned has none ({@code segments} null).
 */
public final class SegmentedBurn {
    public enum Mode { PLANNING, SPLIT, SINGLE }

    /** The three kinds of task, with the suffix of their task ids ({@link BurnTasks#runId}). */
    public enum Kind { PLAN, SEGMENT, JOIN }

    /**
     * One task's state: {@code status} is {@code waiting} (the join, until every segment is up),
     * {@code queued} (for a burner), {@code running} (a burner took this run: {@code runId} at
     * {@code runnerUrl}), {@code completed} or {@code failed} (for good, after {@code JOB_MAX_ATTEMPTS}).
     * {@code attempts}: runs a burner took; {@code progress}: the run's own 0..1; {@code ffmpeg}: the
     * version a segment was burned with (the join copies every segment's stream: they must agree).
     */
    public record Task(String status, double progress, int attempts, String runId, String runnerUrl, boolean servesStatus,
                       long startedAt, long lastReportAt, long lastProbeAt, int probeMisses, String error, String ffmpeg) {
        static final Task QUEUED = new Task("queued", 0, 0, null, null, false, 0, 0, 0, 0, null, null);
        static final Task WAITING = new Task("waiting", 0, 0, null, null, false, 0, 0, 0, 0, null, null);

        public boolean running() {
            return "running".equals(status);
        }

        public boolean queued() {
            return "queued".equals(status);
        }

        public boolean completed() {
            return "completed".equals(status);
        }

        /** A burner took run {@code attempts + 1} of the task. */
        Task accepted(String newRunId, String url, long now) {
            return new Task("running", 0, attempts + 1, newRunId, url, false, now, now, 0, 0, error, null);
        }

        /** The run reported (a callback): alive, and maybe further on. */
        Task reported(double p, String url, long now) {
            return new Task(status, Math.max(progress, p), attempts, runId, runnerUrl != null ? runnerUrl : url, servesStatus,
                    startedAt, now, lastProbeAt, 0, error, ffmpeg);
        }

        /** A probe found the run alive. */
        Task probedAlive(Double p, long now) {
            return new Task(status, p == null ? progress : Math.max(progress, Math.min(0.99, p)), attempts, runId, runnerUrl, true,
                    startedAt, lastReportAt, now, 0, error, ffmpeg);
        }

        /** A probe without news of the run. */
        Task missed(long now) {
            return new Task(status, progress, attempts, runId, runnerUrl, servesStatus, startedAt, lastReportAt, now, probeMisses + 1,
                    error, ffmpeg);
        }

        /** Done; {@code error} stays: why an earlier run ended without its result. */
        Task completed(String ffmpegVersion) {
            return new Task("completed", 1, attempts, runId, runnerUrl, servesStatus, startedAt, lastReportAt, lastProbeAt, 0, error,
                    ffmpegVersion);
        }

        /** The run failed or was lost: queued again for another run ({@code failedForGood}: not again, {@code failed}). */
        Task ended(String why, boolean failedForGood) {
            return new Task(failedForGood ? "failed" : "queued", failedForGood ? progress : 0, attempts, runId, null, false, 0, 0, 0, 0,
                    why, null);
        }

        Task queuedNow() {
            return new Task("queued", 0, attempts, runId, null, false, 0, 0, 0, 0, error, null);
        }

        Map<String, Object> toState() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", status);
            m.put("progress", progress);
            m.put("attempts", attempts);
            m.put("runId", runId);
            m.put("runnerUrl", runnerUrl);
            m.put("servesStatus", servesStatus);
            m.put("startedAt", startedAt);
            m.put("lastReportAt", lastReportAt);
            m.put("lastProbeAt", lastProbeAt);
            m.put("probeMisses", probeMisses);
            m.put("error", error);
            m.put("ffmpeg", ffmpeg);
            return m;
        }

        static Task fromState(Object o) {
            if (!(o instanceof Map<?, ?> m)) {
                return null;
            }
            return new Task(m.get("status") instanceof String s ? s : "queued", m.get("progress") instanceof Number n ? n.doubleValue() : 0,
                    (int) JobRecord.num(m.get("attempts")), str(m.get("runId")), str(m.get("runnerUrl")), Boolean.TRUE.equals(m.get("servesStatus")),
                    JobRecord.num(m.get("startedAt")), JobRecord.num(m.get("lastReportAt")), JobRecord.num(m.get("lastProbeAt")),
                    (int) JobRecord.num(m.get("probeMisses")), str(m.get("error")), str(m.get("ffmpeg")));
        }

        /** What the document shows of a task. */
        Map<String, Object> document() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", status);
            m.put("progress", progress);
            m.put("attempts", attempts);
            m.put("error", error);
            return m;
        }
    }

    /** Frames {@code [start, end)} of the input ({@code end} null: to its end), and their task. */
    public record Segment(int index, double start, Double end, Task task) {
        public double length(double duration) {
            return Math.max(0, (end == null ? duration : end) - start);
        }

        Segment with(Task t) {
            return new Segment(index, start, end, t);
        }
    }

    public final Mode mode;
    /** {@link Mode#SINGLE}: why the job is burned in one run. */
    public final String reason;
    public final Task plan;
    /** The input's duration (s), from the plan. */
    public final double duration;
    public final List<Segment> segments;
    public final Task join;
    /** The job ended and its segments' objects are deleted (and its tasks told to stop). */
    public final boolean cleaned;

    SegmentedBurn(Mode mode, String reason, Task plan, double duration, List<Segment> segments, Task join, boolean cleaned) {
        this.mode = mode;
        this.reason = reason;
        this.plan = plan;
        this.duration = duration;
        this.segments = List.copyOf(segments);
        this.join = join;
        this.cleaned = cleaned;
    }

    /** A job being planned: its plan task queued. */
    static SegmentedBurn planning() {
        return new SegmentedBurn(Mode.PLANNING, null, Task.QUEUED, 0, List.of(), Task.WAITING, false);
    }

    /** Whether the job's work is its tasks (planning or split), not the contract's one run. */
    public boolean inTasks() {
        return mode != Mode.SINGLE;
    }

    /** The job ended with segments that may be in the bucket and tasks that may still run: clean-up is due. */
    public boolean needsCleanUp() {
        return mode == Mode.SPLIT && !cleaned;
    }

    /** Tasks a burner runs now: each takes one of its slots. */
    public int running() {
        int n = plan.running() ? 1 : 0;
        for (Segment s : segments) {
            n += s.task.running() ? 1 : 0;
        }
        return n + (join.running() ? 1 : 0);
    }

    /** Whether a task waits for a burner: the job is then in the dispatcher's queue ({@link Job#dispatched} false). */
    public boolean anyQueued() {
        return inTasks() && (plan.queued() || join.queued() || segments.stream().anyMatch(s -> s.task.queued()));
    }

    /** How many segments are up. */
    public int completedSegments() {
        return (int) segments.stream().filter(s -> s.task.completed()).count();
    }

    /** The task of {@code kind} ({@code index}: the segment's). */
    public Task task(Kind kind, int index) {
        return switch (kind) {
            case PLAN -> plan;
            case JOIN -> join;
            case SEGMENT -> index >= 0 && index < segments.size() ? segments.get(index).task : null;
        };
    }

    SegmentedBurn with(Kind kind, int index, Task t) {
        return switch (kind) {
            case PLAN -> new SegmentedBurn(mode, reason, t, duration, segments, join, cleaned);
            case JOIN -> new SegmentedBurn(mode, reason, plan, duration, segments, t, cleaned);
            case SEGMENT -> {
                List<Segment> l = new ArrayList<>(segments);
                l.set(index, l.get(index).with(t));
                yield new SegmentedBurn(mode, reason, plan, duration, l, join, cleaned);
            }
        };
    }

    SegmentedBurn split(double inputDuration, List<Segment> cuts) {
        return new SegmentedBurn(Mode.SPLIT, null, plan, inputDuration, cuts, Task.WAITING, false);
    }

    SegmentedBurn single(String why) {
        return new SegmentedBurn(Mode.SINGLE, why, plan, duration, List.of(), join, true);
    }

    /** The job's output is in the bucket: the join that wrote it is done, whether or not its own report came yet. */
    SegmentedBurn outputUp() {
        return mode == Mode.SPLIT && join.running() ? new SegmentedBurn(mode, reason, plan, duration, segments, join.completed(null), cleaned) : this;
    }

    SegmentedBurn cleanedUp() {
        return new SegmentedBurn(mode, reason, plan, duration, segments, join, true);
    }

    /**
     * The job's own progress from its tasks' (docs/segmented-burn.md §4): the plan 0.05, the segments
     * 0.1 + 0.8 × their share of the input done (a run's 0.2..0.9, ffmpeg's part, as 0..1), the join
     * 0.9 + 0.1 × its own; below 1 (only the output in the bucket completes a job).
     */
    public double progress() {
        if (mode == Mode.PLANNING || mode == Mode.SINGLE) {
            return 0.05;
        }
        if (join.running() || join.completed()) {
            return Math.min(0.99, 0.9 + 0.1 * join.progress);
        }
        double done = 0;
        double total = 0;
        for (Segment s : segments) {
            double length = s.length(duration);
            total += length;
            double p = s.task.completed() ? 1 : Math.max(0, Math.min(1, (s.task.progress - 0.2) / 0.7));
            done += length * p;
        }
        return total <= 0 ? 0.1 : 0.1 + 0.8 * done / total;
    }

    Map<String, Object> toState() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode.name().toLowerCase(Locale.ROOT));
        m.put("reason", reason);
        m.put("plan", plan.toState());
        m.put("duration", duration);
        List<Map<String, Object>> items = new ArrayList<>();
        for (Segment s : segments) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("index", s.index);
            e.put("start", s.start);
            e.put("end", s.end);
            e.put("task", s.task.toState());
            items.add(e);
        }
        m.put("segments", items);
        m.put("join", join.toState());
        m.put("cleaned", cleaned);
        return m;
    }

    static SegmentedBurn fromState(Object o) {
        if (!(o instanceof Map<?, ?> m) || !(m.get("mode") instanceof String modeName)) {
            return null;
        }
        Mode mode;
        try {
            mode = Mode.valueOf(modeName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
        List<Segment> segments = new ArrayList<>();
        if (m.get("segments") instanceof List<?> l) {
            for (Object e : l) {
                Task t = e instanceof Map<?, ?> s ? Task.fromState(s.get("task")) : null;
                if (t != null && e instanceof Map<?, ?> s) {
                    segments.add(new Segment((int) JobRecord.num(s.get("index")), s.get("start") instanceof Number n ? n.doubleValue() : 0,
                            s.get("end") instanceof Number n ? n.doubleValue() : null, t));
                }
            }
        }
        Task plan = Task.fromState(m.get("plan"));
        Task join = Task.fromState(m.get("join"));
        return new SegmentedBurn(mode, str(m.get("reason")), plan == null ? Task.QUEUED : plan,
                m.get("duration") instanceof Number n ? n.doubleValue() : 0, segments, join == null ? Task.WAITING : join,
                Boolean.TRUE.equals(m.get("cleaned")));
    }

    /** The job document's {@code segments} (openapi.yaml, {@code Job.segments}). */
    public Map<String, Object> document() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mode", mode.name().toLowerCase(Locale.ROOT));
        d.put("count", mode == Mode.SPLIT ? segments.size() : mode == Mode.SINGLE ? 1 : 0);
        d.put("completed", completedSegments());
        d.put("duration", mode == Mode.SPLIT ? duration : null);
        if (reason != null) {
            d.put("reason", reason);
        }
        d.put("plan", plan.document());
        List<Map<String, Object>> items = new ArrayList<>();
        for (Segment s : segments) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("index", s.index);
            e.put("start", s.start);
            e.put("end", s.end);
            e.putAll(s.task.document());
            items.add(e);
        }
        d.put("items", items);
        d.put("join", join.document());
        return d;
    }

    private static String str(Object o) {
        return o instanceof String s ? s : null;
    }
}
