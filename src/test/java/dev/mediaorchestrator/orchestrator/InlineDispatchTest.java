package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.SignedHttp;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.time.ZoneId;

/**
 * The dispatch timer leaves a job that {@code POST /jobs} is recording to that request's own
 * dispatch: before, a timer tick between the record and the request's dispatch took the job, and
 * the 202 went out before the runner had it (AcceptedStatusTest failed so, 3 in 8 full runs).
 * The runner is a closed port, so an attempt shows as "runner unreachable" on the job.
 */
class InlineDispatchTest {
    private final long[] now = {1_000_000};
    private final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return Instant.ofEpochMilli(now[0]); }
    };

    @Test
    void theTimerLeavesAJobBeingRecordedToItsRequestAndTakesItIfTheRequestNeverDispatches() throws Exception {
        JobStore jobs = new JobStore(Duration.ofDays(1));
        Dispatcher dispatcher = dispatcher(jobs);
        Job job = new Job("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "m1", Engine.BURNER, Map.of(), now[0], "n");
        dispatcher.expectInline(job.jobId);
        jobs.create(job);

        dispatcher.offerWaiting(false);
        Thread.sleep(300); // the timer's attempts run on its senders
        assertNull(jobs.get(job.jobId).orElseThrow().dispatchError, "the timer did not take the job its request dispatches");

        now[0] += Dispatcher.INLINE_GRACE_MS + 1; // the request never got to it (it died between record and dispatch)
        dispatcher.offerWaiting(false);
        assertTrue(waitForError(jobs, job.jobId).startsWith("runner unreachable"), "the timer takes it after the grace");
    }

    @Test
    void theRequestsOwnDispatchEndsTheReservation() {
        JobStore jobs = new JobStore(Duration.ofDays(1));
        Dispatcher dispatcher = dispatcher(jobs);
        Job job = new Job("job_bbbbbbbbbbbbbbbbbbbbbbbbbb", "m1", Engine.BURNER, Map.of(), now[0], "n");
        dispatcher.expectInline(job.jobId);
        jobs.create(job);
        dispatcher.dispatch(job.jobId);
        Job after = jobs.get(job.jobId).orElseThrow();
        assertTrue(after.dispatchError.startsWith("runner unreachable"), after.dispatchError);
        assertEquals(1, after.attempts);

        now[0] = after.nextDispatchAt; // its backoff over, the timer retries it at once: no reservation is left
        dispatcher.offerWaiting(false);
        long deadline = System.currentTimeMillis() + 5000;
        while (jobs.get(job.jobId).orElseThrow().attempts < 2 && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(2, jobs.get(job.jobId).orElseThrow().attempts);
    }

    /** A runner on a closed port: an attempt shows on the job as "runner unreachable". */
    private Dispatcher dispatcher(JobStore jobs) {
        Config config = Config.fromEnv(Map.of("CONTAINER_BASE_URL", "http://127.0.0.1:9", "DISPATCH_TIMEOUT_MS", "2000"));
        Hmac hmac = new Hmac("s".repeat(32));
        Dispatcher dispatcher = new Dispatcher(config, jobs, new TransferUrls(config, null, hmac, clock), new SignedHttp(hmac), clock);
        dispatcher.setTicker(() -> now[0] * 1_000_000); // time moves on both clocks at once here
        jobs.handChangesTo(dispatcher::learn); // the job-changed route's step
        return dispatcher;
    }

    private static String waitForError(JobStore jobs, String jobId) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            String e = jobs.get(jobId).orElseThrow().dispatchError;
            if (e != null) {
                return e;
            }
            Thread.sleep(20);
        }
        return "none";
    }
}
