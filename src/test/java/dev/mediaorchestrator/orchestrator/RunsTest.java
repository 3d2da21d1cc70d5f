package dev.mediaorchestrator.orchestrator;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27, item 2: a run is counted once, by whichever the orchestrator hears first of the answer to
 * its dispatch and the runner's first callback ({@link JobTransitions#taken}); CallbackBeforeAnswerTest
 * forces the order end to end.
 */
class RunsTest {
    private static Job.Draft beingDispatched() {
        Job.Draft d = new Job("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "m", Engine.BURNER, Map.of(), 0, "n").draft();
        d.dispatchClaim = "claim";
        return d;
    }

    private static Map<String, Object> preparing() {
        return Map.of("jobId", "job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "status", "preparing", "progress", 0.05);
    }

    @Test
    void theAnswerFirstCountsTheRunAndTheCallbackAfterItNothing() {
        Job.Draft d = beingDispatched();
        assertTrue(JobTransitions.taken(d, true, "http://10.0.0.1:8080", 10));
        JobTransitions.apply(d, preparing(), "http://10.0.0.9:8080", 20);
        assertEquals(1, d.runs);
        assertEquals(1, d.attempts);
        assertTrue(d.dispatched);
        assertNull(d.dispatchClaim);
        assertEquals("http://10.0.0.1:8080", d.runnerUrl, "the answer's address stays");
    }

    @Test
    void theCallbackFirstCountsTheRunAndTheAnswerAfterItNothing() {
        Job.Draft d = beingDispatched();
        JobTransitions.apply(d, preparing(), null, 10);
        assertEquals(1, d.runs, "the callback began the run");
        assertEquals(1, d.attempts, "the dispatch in flight was its attempt");
        assertNull(d.dispatchClaim);
        assertFalse(JobTransitions.taken(d, true, "http://10.0.0.1:8080", 20), "the answer begins nothing");
        assertEquals(1, d.runs);
        assertEquals(1, d.attempts);
        assertEquals("http://10.0.0.1:8080", d.runnerUrl, "the answer brings the address the callback did not");
    }

    @Test
    void aLateCallbackAfterAFailedDispatchIsARunButNotAnotherAttempt() {
        Job.Draft d = beingDispatched();
        d.dispatchClaim = null; // the dispatch timed out: counted as an attempt that was not taken
        d.attempts = 1;
        JobTransitions.apply(d, preparing(), null, 10);
        assertEquals(1, d.runs, "the runner has it after all");
        assertEquals(1, d.attempts);
    }

    @Test
    void aRequeueForgetsTheRunsRunner() {
        Job.Draft d = beingDispatched();
        JobTransitions.taken(d, true, "http://10.0.0.1:8080", 10);
        JobTransitions.apply(d, Map.of("jobId", d.jobId, "status", "completed", "progress", 1.0), null, 20);
        assertEquals(20, d.runnerCompletedAt);
        JobTransitions.apply(d, Map.of("jobId", d.jobId, "status", "completed", "progress", 1.0), null, 30);
        assertEquals(20, d.runnerCompletedAt, "the grace counts from the first completed");
        JobTransitions.requeue(d, "lost", 40);
        assertNull(d.runnerUrl);
        assertFalse(d.runnerCompleted);
        assertEquals(0, d.runnerCompletedAt);
        assertTrue(JobTransitions.taken(d, true, null, 50), "the next answer begins run 2");
        assertEquals(2, d.runs);
    }
}
