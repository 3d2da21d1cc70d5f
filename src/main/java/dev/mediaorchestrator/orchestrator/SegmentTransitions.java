package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.burner.SegmentPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rules of a segmented burn's state (docs/segmented-burn.md §4–5), as {@link JobTransitions} are
 * a job's: each works on a {@link Job.Draft} of a fresh read inside {@link JobStore#transition}, so a
 * replica whose copy is stale decides nothing. A task run is known by its id ({@link BurnTasks.RunRef}):
 * a report of an earlier run of a task (one given up as lost that still talks) changes nothing.
 *
 * <p>The job stays one job to the app: one status that only moves forward ({@code preparing} while
 * planned, {@code running} while its segments burn, {@code uploading} while they are joined), one
 * progress that never goes back ({@link SegmentedBurn#progress()}, kept as a maximum), and the
 * dispatcher's queue sees it as waiting ({@link Job#dispatched} false) exactly while one of its tasks
 * waits for a burner, so its tasks are offered in the job's place, one offer at a time.
 */
final class SegmentTransitions {
    private SegmentTransitions() {
    }

    /** What became of a run that ended without its result. */
    enum Ended { RETRIED, FAILED_JOB, SINGLE_RUN, IGNORED }

    /** The job is planned: its first dispatch is the plan task. */
    static void startPlanning(Job.Draft d, long now) {
        d.segments = SegmentedBurn.planning();
        d.nextDispatchAt = Math.min(d.nextDispatchAt, now);
    }

    /** The task run to offer next: the plan, else the first queued segment, else the join; null when none waits. */
    static BurnTasks.RunRef next(Job job) {
        SegmentedBurn sb = job.segments;
        if (sb == null || !sb.inTasks()) {
            return null;
        }
        if (sb.plan.queued()) {
            return new BurnTasks.RunRef(job.jobId, SegmentedBurn.Kind.PLAN, -1, sb.plan.attempts() + 1);
        }
        for (SegmentedBurn.Segment s : sb.segments) {
            if (s.task().queued()) {
                return new BurnTasks.RunRef(job.jobId, SegmentedBurn.Kind.SEGMENT, s.index(), s.task().attempts() + 1);
            }
        }
        return sb.join.queued() ? new BurnTasks.RunRef(job.jobId, SegmentedBurn.Kind.JOIN, -1, sb.join.attempts() + 1) : null;
    }

    /** The run of {@code ref} is the task's current one (it runs, as this id). */
    static boolean current(Job job, BurnTasks.RunRef ref) {
        SegmentedBurn.Task t = job.segments == null || !job.segments.inTasks() ? null : job.segments.task(ref.kind(), ref.index());
        return t != null && t.running() && BurnTasks.runId(ref.jobId(), ref.kind(), ref.index(), ref.attempt()).equals(t.runId());
    }

    /**
     * A burner took the run {@code ref} (the answer to its dispatch): the task runs there, the job's
     * next task (if any) is due at once. Returns false when the task no longer waited for this run.
     */
    static boolean accepted(Job.Draft d, BurnTasks.RunRef ref, String runnerUrl, long now) {
        SegmentedBurn sb = d.segments;
        SegmentedBurn.Task t = sb == null || !sb.inTasks() ? null : sb.task(ref.kind(), ref.index());
        if (t == null || !t.queued() || t.attempts() + 1 != ref.attempt()) {
            return false;
        }
        d.segments = sb.with(ref.kind(), ref.index(),
                t.accepted(BurnTasks.runId(d.jobId, ref.kind(), ref.index(), ref.attempt()), runnerUrl, now));
        d.dispatchClaim = null;
        d.dispatchError = null;
        d.firstAttemptAt = 0;
        d.attempts++;
        d.lastDispatchAt = now;
        d.lastReportAt = Math.max(d.lastReportAt, now);
        if (ref.kind() != SegmentedBurn.Kind.PLAN) {
            d.runs = Math.max(d.runs, 1); // the plan is no run of the job: a single run after it is its first
        }
        if (ref.kind() == SegmentedBurn.Kind.JOIN) {
            // this project's burner reports its output's digest once it is up: the completion waits a moment for it
            d.reportsProvenance = true;
        }
        d.nextDispatchAt = now;
        settle(d);
        return true;
    }

    /**
     * Whether {@code ref} is the task's current run, on a job that is not over. A report of the run
     * the task waits for (its next attempt: a burner has it, so it was sent) begins it, as the
     * answer to its dispatch would: a burner's first callbacks, and a plan's whole result, may come
     * before that answer is recorded, or instead of it (an answer lost in a timeout). A report of an
     * earlier run (one given up) is not of the next attempt and changes nothing.
     */
    private static boolean reportedRun(Job.Draft d, BurnTasks.RunRef ref, String runnerUrl, long now) {
        if (d.isTerminal()) {
            return false;
        }
        Job j = d.build();
        if (current(j, ref)) {
            return true;
        }
        SegmentedBurn.Task t = j.segments == null || !j.segments.inTasks() ? null : j.segments.task(ref.kind(), ref.index());
        return t != null && t.queued() && t.attempts() + 1 == ref.attempt() && accepted(d, ref, runnerUrl, now);
    }

    /** A report of the current run {@code ref} that does not end it: alive, maybe further on. */
    static boolean reported(Job.Draft d, BurnTasks.RunRef ref, Map<String, Object> cb, String runnerUrl, long now) {
        if (!reportedRun(d, ref, runnerUrl, now)) {
            return false;
        }
        SegmentedBurn.Task t = d.segments.task(ref.kind(), ref.index());
        double p = cb.get("progress") instanceof Number n && Double.isFinite(n.doubleValue()) ? Math.max(0, Math.min(0.99, n.doubleValue())) : 0;
        d.segments = d.segments.with(ref.kind(), ref.index(), t.reported(p, runnerUrl, now));
        d.lastReportAt = now;
        if (ref.kind() == SegmentedBurn.Kind.JOIN) {
            joinReport(d, cb);
        }
        settle(d);
        return true;
    }

    /** The join reports the job's output: its provenance and tools are the job's (the terminal callback's). */
    static void joinReport(Job.Draft d, Map<String, Object> cb) {
        JobTransitions.recordProvenance(d, cb);
        if (Boolean.TRUE.equals(cb.get("provenance"))) {
            d.reportsProvenance = true;
        }
    }

    /**
     * The plan's result: two or more segments split the job (every segment queued at once, in order);
     * one (an input not longer than a segment, an irregular frame rate, …) burns it in one run as the
     * contract does. A malformed plan is a failed plan (see {@link #runEnded}). Returns the mode.
     */
    static SegmentedBurn.Mode planned(Job.Draft d, BurnTasks.RunRef ref, Map<?, ?> plan, long now) {
        if (ref.kind() != SegmentedBurn.Kind.PLAN || !reportedRun(d, ref, null, now)) {
            return null;
        }
        SegmentedBurn sb = d.segments.with(SegmentedBurn.Kind.PLAN, -1, d.segments.plan.completed(null));
        List<SegmentedBurn.Segment> cuts = cuts(plan);
        double duration = plan.get("duration") instanceof Number n ? n.doubleValue() : 0;
        d.lastReportAt = now;
        if (cuts == null || cuts.size() < 2 || !(duration > 0)) {
            d.segments = sb.single(cuts == null ? "the plan was malformed"
                    : plan.get("reason") instanceof String r && !r.isBlank() ? r : "the input is one segment");
            burnInOneRun(d, now);
            return SegmentedBurn.Mode.SINGLE;
        }
        d.segments = sb.split(duration, cuts);
        d.nextDispatchAt = now;
        d.firstAttemptAt = 0;
        settle(d);
        return SegmentedBurn.Mode.SPLIT;
    }

    /** The plan's segments, each queued; null when they do not tile the input from 0 (in order, end to start, the last open). */
    static List<SegmentedBurn.Segment> cuts(Map<?, ?> plan) {
        if (!(plan.get("segments") instanceof List<?> list) || list.isEmpty() || list.size() > SegmentPlan.MAX_SEGMENTS) {
            return null;
        }
        List<SegmentedBurn.Segment> out = new ArrayList<>();
        double expectedStart = 0;
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> s) || !(s.get("index") instanceof Number index) || index.intValue() != i
                    || !(s.get("start") instanceof Number start) || Math.abs(start.doubleValue() - expectedStart) > 1e-6) {
                return null;
            }
            boolean last = i == list.size() - 1;
            Double end = s.get("end") instanceof Number e ? e.doubleValue() : null;
            if (last != (end == null) || end != null && !(end > start.doubleValue())) {
                return null;
            }
            out.add(new SegmentedBurn.Segment(i, start.doubleValue(), end, SegmentedBurn.Task.QUEUED));
            expectedStart = end == null ? 0 : end;
        }
        return out;
    }

    /**
     * Segment {@code ref} is up (its object is in the bucket), burned with {@code ffmpeg}. Once every
     * segment is, the join is queued, unless their ffmpeg versions differ (the join copies every
     * segment's stream behind the first one's parameters): each segment burned with another version
     * than the first is then burned again. Returns whether the join became due; null when {@code ref}
     * is no run of the task's (nothing changed).
     */
    static Boolean segmentDone(Job.Draft d, BurnTasks.RunRef ref, String ffmpeg, int maxAttempts, long now) {
        if (ref.kind() != SegmentedBurn.Kind.SEGMENT || !reportedRun(d, ref, null, now)) {
            return null;
        }
        SegmentedBurn sb = d.segments;
        d.segments = sb.with(ref.kind(), ref.index(), sb.task(ref.kind(), ref.index()).completed(ffmpeg));
        d.lastReportAt = now;
        sb = d.segments;
        if (sb.completedSegments() < sb.segments.size()) {
            settle(d);
            return false;
        }
        String first = sb.segments.get(0).task().ffmpeg();
        boolean mixed = false;
        for (SegmentedBurn.Segment s : sb.segments) {
            String version = s.task().ffmpeg();
            if (first != null && version != null && !first.equals(version)) {
                mixed = true;
                SegmentedBurn.Task t = s.task();
                d.segments = d.segments.with(SegmentedBurn.Kind.SEGMENT, s.index(),
                        t.ended("burned with ffmpeg " + version + ", segment 0 with " + first + ": burned again", t.attempts() >= maxAttempts));
            }
        }
        if (mixed && d.segments.segments.stream().anyMatch(s -> "failed".equals(s.task().status()))) {
            JobTransitions.terminate(d, "failed", "the burners run different ffmpeg versions: the segments cannot be joined", now);
            return false;
        }
        if (!mixed) {
            d.segments = d.segments.with(SegmentedBurn.Kind.JOIN, -1, d.segments.join.queuedNow());
        }
        d.nextDispatchAt = now;
        settle(d);
        return !mixed;
    }

    /** The join says {@code completed}: its provenance is the job's, and its output is due in the bucket (CompletionCheck completes the job). */
    static boolean joinDone(Job.Draft d, BurnTasks.RunRef ref, Map<String, Object> cb, long now) {
        if (ref.kind() != SegmentedBurn.Kind.JOIN || !reportedRun(d, ref, null, now)) {
            return false;
        }
        d.segments = d.segments.with(ref.kind(), ref.index(), d.segments.join.completed(null));
        joinReport(d, cb);
        JobTransitions.runnerSaidCompleted(d, now);
        d.lastReportAt = now;
        settle(d);
        return true;
    }

    /**
     * Run {@code ref} ended without its result (it failed, its runner lost it or refused it, its
     * segment is not in the bucket): the task is queued again for another run, up to
     * {@code maxAttempts} runs. Past them a failed plan burns the job in one run (planning never fails
     * a job), a failed segment or join fails the job naming it.
     */
    static Ended runEnded(Job.Draft d, BurnTasks.RunRef ref, String why, int maxAttempts, long now) {
        if (!reportedRun(d, ref, null, now)) {
            return Ended.IGNORED;
        }
        SegmentedBurn.Task t = d.segments.task(ref.kind(), ref.index());
        boolean again = t.attempts() < maxAttempts;
        d.segments = d.segments.with(ref.kind(), ref.index(), t.ended(why, !again));
        d.lastReportAt = now;
        if (again) {
            d.nextDispatchAt = now;
            settle(d);
            return Ended.RETRIED;
        }
        String runs = t.attempts() > 1 ? " (" + t.attempts() + " runs)" : "";
        switch (ref.kind()) {
            case PLAN -> {
                d.segments = d.segments.single("the plan failed" + runs + ": " + why);
                burnInOneRun(d, now);
                return Ended.SINGLE_RUN;
            }
            case SEGMENT -> JobTransitions.terminate(d, "failed", "segment " + ref.index() + " failed" + runs + ": " + why, now);
            case JOIN -> JobTransitions.terminate(d, "failed", "the join failed" + runs + ": " + why, now);
        }
        return Ended.FAILED_JOB;
    }

    /** A probe found run {@code ref} alive (a higher progress is taken). */
    static boolean probedAlive(Job.Draft d, BurnTasks.RunRef ref, Double progress, long now) {
        if (d.isTerminal() || !current(d.build(), ref)) {
            return false;
        }
        d.segments = d.segments.with(ref.kind(), ref.index(), d.segments.task(ref.kind(), ref.index()).probedAlive(progress, now));
        settle(d);
        return true;
    }

    /** A probe without news of run {@code ref}; the {@code lostAfter}th in a row ends it as lost. */
    static Ended missed(Job.Draft d, BurnTasks.RunRef ref, String why, int lostAfter, int maxAttempts, long now) {
        if (d.isTerminal() || !current(d.build(), ref)) {
            return Ended.IGNORED;
        }
        SegmentedBurn.Task t = d.segments.task(ref.kind(), ref.index()).missed(now);
        if (t.probeMisses() < lostAfter) {
            d.segments = d.segments.with(ref.kind(), ref.index(), t);
            return null;
        }
        return runEnded(d, ref, "its runner lost it (" + why + " to " + t.probeMisses() + " probes in a row)", maxAttempts, now);
    }

    /** The job's segments are deleted and its tasks told to stop. */
    static boolean cleaned(Job.Draft d) {
        if (d.segments == null || !d.segments.needsCleanUp() || !d.isTerminal()) {
            return false;
        }
        d.segments = d.segments.cleanedUp();
        return true;
    }

    /** Back to the contract's one run: the job waits for a burner, at its place in the queue. */
    private static void burnInOneRun(Job.Draft d, long now) {
        d.dispatched = false;
        d.dispatchClaim = null;
        d.nextDispatchAt = now;
        d.firstAttemptAt = 0;
        d.runnerUrl = null;
        d.runnerServesStatus = false;
        d.probeMisses = 0;
        d.phase = "queued";
    }

    /**
     * The job from its tasks: waiting (in the dispatcher's queue) while a task waits, its progress the
     * tasks' (never lower than before), its status forward only.
     */
    static void settle(Job.Draft d) {
        SegmentedBurn sb = d.segments;
        if (sb == null || !sb.inTasks() || d.isTerminal()) {
            return;
        }
        d.dispatched = !sb.anyQueued();
        d.progress = Math.max(d.progress, sb.progress());
        String status;
        String phase;
        if (sb.mode == SegmentedBurn.Mode.PLANNING) {
            status = sb.plan.running() ? "preparing" : "queued";
            phase = "planning";
        } else if (sb.join.running() || sb.join.completed()) {
            status = "uploading";
            phase = "joining";
        } else {
            boolean started = sb.segments.stream().anyMatch(s -> s.task().running() || s.task().completed());
            status = started ? "running" : "preparing";
            phase = started ? "segments" : "planning";
        }
        if (JobTransitions.rank(status) > JobTransitions.rank(d.status)) {
            d.status = status;
        }
        if (JobTransitions.rank(status) >= JobTransitions.rank(d.status) && !"queued".equals(status)) {
            d.phase = phase;
        }
    }
}
