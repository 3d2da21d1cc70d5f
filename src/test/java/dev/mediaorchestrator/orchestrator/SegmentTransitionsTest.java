package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 32, the rules of a segmented burn's state (docs/segmented-burn.md §4–5) on the job's record:
 * one job to the app (its status forward only, its progress never back), the dispatcher's queue sees
 * it waiting exactly while a task waits, a failed run runs again alone up to JOB_MAX_ATTEMPTS, a
 * stale run changes nothing, and the record keeps everything across a restart.
 */
class SegmentTransitionsTest {
    private static final int MAX = 2;
    private long now = 1_000_000;
    private Job job = new Job(JobKeys.newJobId(), "m1", Engine.BURNER, Map.of(), now, "nonce");

    private Job change(Consumer<Job.Draft> f) {
        Job.Draft d = job.draft();
        f.accept(d);
        now += 100;
        Job next = d.build();
        assertTrue(next.progress >= job.progress, "progress never goes back: " + job.progress + " → " + next.progress);
        assertTrue(JobTransitions.rank(next.status) >= JobTransitions.rank(job.status), job.status + " → " + next.status);
        // the record keeps it all: what a restarted orchestrator reads is the same
        Job reread = JobRecord.fromState(JobRecord.toState(next), Map.of(), "v");
        assertEquals(JobRecord.toState(next), JobRecord.toState(reread), "the record round-trips");
        job = next;
        return next;
    }

    private BurnTasks.RunRef acceptNext(String runnerUrl) {
        BurnTasks.RunRef ref = SegmentTransitions.next(job);
        assertNotNull(ref, "a task waits");
        assertFalse(job.dispatched, "a job with a waiting task is in the queue");
        change(d -> assertTrue(SegmentTransitions.accepted(d, ref, runnerUrl, now)));
        return ref;
    }

    private static Map<String, Object> plan(double duration, double... cuts) {
        List<Map<String, Object>> segments = new ArrayList<>();
        double start = 0;
        for (int i = 0; i <= cuts.length; i++) {
            Map<String, Object> s = new HashMap<>();
            s.put("index", i);
            s.put("start", start);
            s.put("end", i < cuts.length ? cuts[i] : null);
            segments.add(s);
            start = i < cuts.length ? cuts[i] : 0;
        }
        return Map.of("duration", duration, "segments", segments);
    }

    private void split() {
        change(d -> SegmentTransitions.startPlanning(d, now));
        BurnTasks.RunRef plan = acceptNext("http://10.0.0.1:8080");
        assertEquals(SegmentedBurn.Kind.PLAN, plan.kind());
        assertEquals("preparing", job.status);
        change(d -> assertEquals(SegmentedBurn.Mode.SPLIT, SegmentTransitions.planned(d, plan, plan(12, 3.98, 7.98), now)));
        assertEquals(3, job.segments.segments.size());
        assertNull(job.segments.segments.get(2).end());
    }

    @Test
    void aSplitJobIsOneJobWhoseProgressNeverGoesBack() {
        split();
        List<BurnTasks.RunRef> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(acceptNext("http://10.0.0." + (i % 2 + 1) + ":8080"));
            assertEquals(i, runs.get(i).index(), "segments in index order");
        }
        assertTrue(job.dispatched, "every task out: not in the queue");
        assertEquals(3, job.segments.running(), "each running task is a slot");
        assertEquals("running", job.status);
        assertNull(SegmentTransitions.next(job));
        for (double p : new double[]{0.2, 0.55, 0.9}) {
            for (BurnTasks.RunRef r : runs) {
                change(d -> assertTrue(SegmentTransitions.reported(d, r, Map.of("status", "running", "progress", p), null, now)));
            }
        }
        assertEquals(0.9, job.progress, 1e-9, "all segments burned: 0.1 + 0.8");
        for (int i = 0; i < 3; i++) {
            BurnTasks.RunRef r = runs.get(i);
            boolean last = i == 2;
            change(d -> assertEquals(last, SegmentTransitions.segmentDone(d, r, "5.1.8", MAX, now)));
        }
        assertEquals(3, job.segments.completedSegments());
        BurnTasks.RunRef join = acceptNext("http://10.0.0.2:8080");
        assertEquals(SegmentedBurn.Kind.JOIN, join.kind());
        assertEquals("uploading", job.status);
        change(d -> SegmentTransitions.reported(d, join, Map.of("status", "running", "progress", 0.5), null, now));
        assertEquals(0.95, job.progress, 1e-9);
        Map<String, Object> completed = Map.of("status", "completed", "progress", 1, "outputKey", job.outputKey(Engine.OutputKind.VIDEO),
                "outputs", Map.of("video", Map.of("key", job.outputKey(Engine.OutputKind.VIDEO), "size", 42, "sha256", "a".repeat(64))),
                "tools", Map.of("ffmpeg", "5.1.8"), "provenance", true);
        change(d -> assertTrue(SegmentTransitions.joinDone(d, join, completed, now)));
        assertTrue(job.runnerCompleted, "the output is due: the bucket completes the job");
        assertEquals("a".repeat(64), job.provenance.get("video").get("sha256"), "the join's provenance is the job's");
        assertEquals(Map.of("ffmpeg", "5.1.8"), job.tools);
        assertTrue(job.progress < 1, "only the output in the bucket completes a job");
        change(d -> JobTransitions.complete(d, now));
        assertTrue(job.segments.needsCleanUp());
        assertFalse(job.isDone(), "its segments still to delete: the job stays open");
        change(d -> assertTrue(SegmentTransitions.cleaned(d)));
        assertFalse(job.segments.needsCleanUp());
    }

    @Test
    void aFailedSegmentRunsAgainAloneUpToMaxAttemptsThenFailsTheJob() {
        split();
        BurnTasks.RunRef s0 = acceptNext("http://10.0.0.1:8080");
        BurnTasks.RunRef s1 = acceptNext("http://10.0.0.2:8080");
        change(d -> SegmentTransitions.reported(d, s1, Map.of("status", "running", "progress", 0.9), null, now));
        double before = job.progress;
        change(d -> assertEquals(SegmentTransitions.Ended.RETRIED, SegmentTransitions.runEnded(d, s1, "ffmpeg exited 1", MAX, now)));
        assertEquals(before, job.progress, "a segment burned again holds the job's progress where it was");
        assertEquals("queued", job.segments.segments.get(1).task().status());
        assertEquals("ffmpeg exited 1", job.segments.segments.get(1).task().error());
        assertTrue(job.segments.segments.get(0).task().running(), "the other segment runs on");
        BurnTasks.RunRef again = SegmentTransitions.next(job);
        assertEquals(1, again.index(), "the failed one first: alone, in index order");
        assertEquals(2, again.attempt());
        assertEquals(job.jobId + "-s001-r2", BurnTasks.runId(job.jobId, again.kind(), again.index(), again.attempt()),
                "a new id: the burner remembers the first");
        acceptNext("http://10.0.0.1:8080");
        // a late report of the first run changes nothing
        change(d -> assertFalse(SegmentTransitions.reported(d, s1, Map.of("status", "running", "progress", 0.5), null, now)));
        change(d -> assertEquals(SegmentTransitions.Ended.IGNORED, SegmentTransitions.runEnded(d, s1, "late", MAX, now)));
        change(d -> assertNull(SegmentTransitions.segmentDone(d, s1, "5.1.8", MAX, now)));
        assertTrue(job.segments.segments.get(1).task().running());
        change(d -> assertEquals(SegmentTransitions.Ended.FAILED_JOB, SegmentTransitions.runEnded(d, again, "disk full", MAX, now)));
        assertEquals("failed", job.status);
        assertEquals("segment 1 failed (2 runs): disk full", job.error);
        assertTrue(job.segments.segments.get(0).task().running(), "still running: the job's end stops it (Dispatcher.cancelOnRunner)");
        assertTrue(job.segments.needsCleanUp());
        assertEquals(s0.index(), 0);
    }

    /**
     * A burner's reports may come before its answer to the dispatch is recorded (a plan's whole result
     * in half a second), or instead of it (an answer lost): a report of the run the task waits for
     * begins it, as the answer would, and the answer that comes after changes nothing. A report of
     * another run changes nothing.
     */
    @Test
    void aReportBeforeTheDispatchsAnswerBeginsTheRun() {
        change(d -> SegmentTransitions.startPlanning(d, now));
        BurnTasks.RunRef plan = SegmentTransitions.next(job);
        BurnTasks.RunRef other = new BurnTasks.RunRef(job.jobId, SegmentedBurn.Kind.PLAN, -1, 2);
        change(d -> d.dispatchClaim = "claim of the dispatch in flight");
        change(d -> assertNull(SegmentTransitions.planned(d, other, plan(12, 3.98, 7.98), now)));
        assertEquals("queued", job.segments.plan.status(), "a run nobody sent");
        change(d -> assertEquals(SegmentedBurn.Mode.SPLIT, SegmentTransitions.planned(d, plan, plan(12, 3.98, 7.98), now)));
        assertEquals(1, job.segments.plan.attempts());
        assertEquals(job.jobId + "-plan", job.segments.plan.runId());
        assertNull(job.dispatchClaim, "the run began: the claim is the dispatch's no more");
        int attempts = job.attempts;
        change(d -> assertFalse(SegmentTransitions.accepted(d, plan, "http://10.0.0.1:8080", now)));
        assertEquals(attempts, job.attempts, "the answer counted nothing twice");
        assertEquals(0, SegmentTransitions.next(job).index(), "the segments wait for burners");
    }

    @Test
    void threeMissedProbesLoseARunWhichRunsAgain() {
        split();
        BurnTasks.RunRef s0 = acceptNext("http://10.0.0.1:8080");
        for (int i = 1; i <= 2; i++) {
            change(d -> assertNull(SegmentTransitions.missed(d, s0, "404", 3, MAX, now)));
        }
        assertEquals(2, job.segments.segments.get(0).task().probeMisses());
        change(d -> assertTrue(SegmentTransitions.probedAlive(d, s0, 0.4, now)));
        assertEquals(0, job.segments.segments.get(0).task().probeMisses(), "an answer ends the run of misses");
        for (int i = 1; i <= 2; i++) {
            change(d -> assertNull(SegmentTransitions.missed(d, s0, "404", 3, MAX, now)));
        }
        change(d -> assertEquals(SegmentTransitions.Ended.RETRIED, SegmentTransitions.missed(d, s0, "404", 3, MAX, now)));
        assertEquals("queued", job.segments.segments.get(0).task().status());
        assertTrue(job.segments.segments.get(0).task().error().startsWith("its runner lost it (404 to 3 probes in a row)"));
    }

    @Test
    void aPlanOfOneSegmentOrAFailedPlanBurnsTheJobInOneRun() {
        change(d -> SegmentTransitions.startPlanning(d, now));
        BurnTasks.RunRef plan = acceptNext(null);
        Map<String, Object> one = Map.of("duration", 12.0, "segments", List.of(Map.of("index", 0, "start", 0)),
                "reason", "the frame rate is not constant");
        change(d -> assertEquals(SegmentedBurn.Mode.SINGLE, SegmentTransitions.planned(d, plan, one, now)));
        assertFalse(job.dispatched, "in the queue for its one run");
        assertNull(SegmentTransitions.next(job), "no task: the contract's payload");
        assertFalse(SegmentedBurns.inTasks(job));
        assertEquals("the frame rate is not constant", job.segments.reason);
        assertFalse(job.segments.needsCleanUp());

        job = new Job(JobKeys.newJobId(), "m1", Engine.BURNER, Map.of(), now, "nonce");
        change(d -> SegmentTransitions.startPlanning(d, now));
        BurnTasks.RunRef first = acceptNext(null);
        change(d -> assertEquals(SegmentTransitions.Ended.RETRIED, SegmentTransitions.runEnded(d, first, "download failed", MAX, now)));
        BurnTasks.RunRef second = acceptNext(null);
        change(d -> assertEquals(SegmentTransitions.Ended.SINGLE_RUN, SegmentTransitions.runEnded(d, second, "download failed", MAX, now)));
        assertFalse(job.isTerminal(), "planning never fails a job");
        assertEquals(SegmentedBurn.Mode.SINGLE, job.segments.mode);
        assertFalse(job.dispatched);
        assertEquals(0, job.runs, "the plan is no run of the job");
    }

    @Test
    void aMalformedPlanIsNotSplit() {
        change(d -> SegmentTransitions.startPlanning(d, now));
        BurnTasks.RunRef plan = acceptNext(null);
        Map<String, Object> gap = Map.of("duration", 12.0, "segments", List.of(Map.of("index", 0, "start", 0, "end", 4.0),
                Map.of("index", 1, "start", 5.0)));
        change(d -> assertEquals(SegmentedBurn.Mode.SINGLE, SegmentTransitions.planned(d, plan, gap, now)));
        assertEquals("the plan was malformed", job.segments.reason);
    }

    @Test
    void segmentsBurnedWithAnotherFfmpegAreBurnedAgainBeforeTheJoin() {
        split();
        List<BurnTasks.RunRef> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            runs.add(acceptNext(null));
        }
        String[] versions = {"5.1.8", "6.0", "5.1.8"};
        for (int i = 0; i < 3; i++) {
            BurnTasks.RunRef r = runs.get(i);
            String v = versions[i];
            change(d -> assertFalse(SegmentTransitions.segmentDone(d, r, v, MAX, now)));
        }
        assertEquals("queued", job.segments.segments.get(1).task().status());
        assertEquals("waiting", job.segments.join.status(), "no join of mixed streams");
        assertEquals(1, SegmentTransitions.next(job).index());
    }

    @Test
    void runIdsNameTheirTask() {
        String id = JobKeys.newJobId();
        assertEquals(new BurnTasks.RunRef(id, SegmentedBurn.Kind.SEGMENT, 3, 1), BurnTasks.parse(id + "-s003"));
        assertEquals(new BurnTasks.RunRef(id, SegmentedBurn.Kind.PLAN, -1, 2), BurnTasks.parse(id + "-plan-r2"));
        assertEquals(new BurnTasks.RunRef(id, SegmentedBurn.Kind.JOIN, -1, 1), BurnTasks.parse(id + "-join"));
        assertNull(BurnTasks.parse(id));
        assertNull(BurnTasks.parse(id + "-s3"));
        assertNull(BurnTasks.parse(id + "-join-r0"));
        assertNull(BurnTasks.parse("job_x-plan"));
        assertEquals(7, BurnTasks.segmentOfKind("segment.007"));
        assertEquals(-1, BurnTasks.segmentOfKind("segment.7"));
    }

    /** The duration of an MP4 from its boxes (what decides whether a burn is planned), moov after mdat or before. */
    @Test
    void anMp4sDurationIsReadFromItsBoxes() throws IOException {
        try (TestMedia.TempDir dir = TestMedia.tempDir("input-duration-")) {
            Path clip = TestMedia.generateClip(dir.resolve("clip.mp4"), 3.0, true);
            double seconds = InputDuration.of(Files.size(clip), reader(clip));
            assertEquals(3.0, seconds, 0.1);
            Path text = Files.writeString(dir.resolve("not.mp4"), "WEBVTT\n\nnot a video at all, but long enough to be read");
            assertEquals(InputDuration.UNKNOWN, InputDuration.of(Files.size(text), reader(text)));
        }
    }

    private static InputDuration.Reader reader(Path file) {
        return (offset, length) -> {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                f.seek(offset);
                byte[] b = new byte[(int) Math.max(0, Math.min(length, f.length() - offset))];
                f.readFully(b);
                return b;
            }
        };
    }
}
