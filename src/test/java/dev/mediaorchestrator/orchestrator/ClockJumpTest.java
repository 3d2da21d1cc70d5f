package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.Ticker;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28, item 8: the wall clock jumps (an NTP step, a VM resumed, {@code date -s}) while jobs are
 * in flight. Deadlines and backoffs are measured on the monotonic clock from the moment this process
 * first saw them, so a forward jump fails nothing and a backward one holds nothing; the deadlines
 * still come, on the monotonic clock.
 */
@IntegrationTest
class ClockJumpTest {
    private final Hmac hmac = new Hmac("clock-jump-secret");

    /** A wall clock a test moves; everything else about it is the system's. */
    static final class JumpingClock extends Clock {
        final AtomicLong offsetMs = new AtomicLong();

        void jump(Duration d) {
            offsetMs.addAndGet(d.toMillis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.now().plusMillis(offsetMs.get());
        }
    }

    /** A monotonic clock a test moves: real time plus what the test adds. */
    static final class ManualTicker implements Ticker {
        final AtomicLong addedNanos = new AtomicLong();

        void advance(Duration d) {
            addedNanos.addAndGet(d.toNanos());
        }

        @Override
        public long nanos() {
            return System.nanoTime() + addedNanos.get();
        }
    }

    private static Job newJob(JobStore jobs, Clock clock, Engine engine) {
        return jobs.create(new Job(JobKeys.newJobId(), "m", engine, engine == Engine.DOWNLOADER ? Map.of("url", "https://example.com/v") : Map.of(),
                clock.millis(), "nonce"));
    }

    private Lifecycle lifecycle(Config config, JobStore jobs, Clock clock) {
        Dispatcher dispatcher = new Dispatcher(config, jobs, new TransferUrls(config, null, hmac, clock), new SignedHttp(hmac), clock);
        JobEndings endings = new JobEndings(jobs, dispatcher, clock);
        RunnerReports reports = new RunnerReports(config, jobs, new ReplayCache(Duration.ofMinutes(1)), new ReplayStore(StateObjects.inMemory(),
                clock, Duration.ofHours(1)), clock);
        Lifecycle lifecycle = new Lifecycle(config, jobs, reports, new CompletionCheck(config, jobs, null, endings, clock), endings, dispatcher,
                clock);
        jobs.handChangesTo(j -> { // the job-changed route's steps
            dispatcher.learn(j);
            lifecycle.learn(j);
        });
        return lifecycle;
    }

    @Test
    void aForwardJumpOfTheJobTimeoutFailsNoJobInFlight() {
        JumpingClock clock = new JumpingClock();
        Config config = Config.fromEnv(Map.of("JOB_TIMEOUT_SECONDS", "60"));
        JobStore jobs = new JobStore(Duration.ofHours(1), StateObjects.inMemory(), hmac, clock);
        Lifecycle lifecycle = lifecycle(config, jobs, clock);
        Job job = newJob(jobs, clock, Engine.DOWNLOADER);

        clock.jump(Duration.ofSeconds(61)); // JOB_TIMEOUT_SECONDS and a second, in an instant
        lifecycle.enforceLimits(jobs.fresh(job.jobId).orElseThrow());
        assertEquals("queued", jobs.fresh(job.jobId).orElseThrow().status, "a jump of the wall clock is not time the job has run");
    }

    @Test
    void theJobTimeoutStillComesOnTheMonotonicClock() {
        JumpingClock clock = new JumpingClock();
        ManualTicker ticker = new ManualTicker();
        Config config = Config.fromEnv(Map.of("JOB_TIMEOUT_SECONDS", "60"));
        JobStore jobs = new JobStore(Duration.ofHours(1), StateObjects.inMemory(), hmac, clock);
        Lifecycle lifecycle = lifecycle(config, jobs, clock);
        lifecycle.setTicker(ticker);
        Job job = newJob(jobs, clock, Engine.DOWNLOADER);

        clock.jump(Duration.ofHours(-2)); // back, far: the job is not younger for it
        ticker.advance(Duration.ofSeconds(61));
        lifecycle.enforceLimits(jobs.fresh(job.jobId).orElseThrow());
        Job after = jobs.fresh(job.jobId).orElseThrow();
        assertEquals("failed", after.status);
        assertEquals("job timed out after 60 s", after.error);
    }

    @Test
    void aForwardJumpOfTheDispatchDeadlineFailsNoWaitingJobAndABackwardOneHoldsNoBackoff() throws Exception {
        try (StubHttpServer runner = new StubHttpServer().answer("/render", 503, "{\"error\":\"down\"}")) {
            JumpingClock clock = new JumpingClock();
            Config config = Config.fromEnv(Map.of("CONTAINER_BASE_URL", runner.base().toString(), "DISPATCH_DEADLINE_SECONDS", "60"));
            JobStore jobs = new JobStore(Duration.ofHours(1), StateObjects.inMemory(), hmac, clock);
            try (Dispatcher dispatcher = new Dispatcher(config, jobs, new TransferUrls(config, null, hmac, clock), new SignedHttp(hmac), clock)) {
                jobs.handChangesTo(dispatcher::learn); // the job-changed route's step
                Job job = newJob(jobs, clock, Engine.DOWNLOADER);
                dispatcher.dispatch(job.jobId); // the runner answers 503: the dispatch deadline starts, a 1 s backoff
                assertTrue(jobs.fresh(job.jobId).orElseThrow().firstAttemptAt > 0);

                clock.jump(Duration.ofSeconds(61));
                dispatcher.offerWaiting(false);
                Thread.sleep(300); // a failure would be written by now
                assertEquals("queued", jobs.fresh(job.jobId).orElseThrow().status, "a jump is not time the job has waited");

                clock.jump(Duration.ofHours(-1).minusSeconds(61)); // back an hour from where it was
                Wait.until("the next offer after the 1 s backoff", Duration.ofSeconds(15), () -> {
                    dispatcher.offerWaiting(false);
                    return runner.requests("/render").size() >= 2;
                });
            }
        }
    }

    @Test
    void theDispatchDeadlineStillComesOnTheMonotonicClock() throws Exception {
        try (StubHttpServer runner = new StubHttpServer().answer("/render", 503, "{\"error\":\"down\"}")) {
            JumpingClock clock = new JumpingClock();
            ManualTicker ticker = new ManualTicker();
            Config config = Config.fromEnv(Map.of("CONTAINER_BASE_URL", runner.base().toString(), "DISPATCH_DEADLINE_SECONDS", "60"));
            JobStore jobs = new JobStore(Duration.ofHours(1), StateObjects.inMemory(), hmac, clock);
            try (Dispatcher dispatcher = new Dispatcher(config, jobs, new TransferUrls(config, null, hmac, clock), new SignedHttp(hmac), clock)) {
                jobs.handChangesTo(dispatcher::learn); // the job-changed route's step
                dispatcher.setTicker(ticker);
                Job job = newJob(jobs, clock, Engine.DOWNLOADER);
                dispatcher.dispatch(job.jobId);
                dispatcher.offerWaiting(false); // the deadline is first seen here
                ticker.advance(Duration.ofSeconds(61));
                Wait.until("the job failed at its dispatch deadline", Duration.ofSeconds(10), () -> {
                    dispatcher.offerWaiting(false);
                    return "failed".equals(jobs.fresh(job.jobId).orElseThrow().status);
                });
                assertTrue(jobs.fresh(job.jobId).orElseThrow().error.startsWith("no runner accepted the job within 60 s"));
            }
        }
    }

    @Test
    void aBackwardJumpHoldsNoCallbackRetry() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (StubHttpServer app = new StubHttpServer()) {
            app.on("/api/render/cf-callback", ex -> {
                app.record(ex);
                StubHttpServer.respond(ex, calls.incrementAndGet() == 1 ? 500 : 200, "application/json", "{}".getBytes());
            });
            JumpingClock clock = new JumpingClock();
            Config config = Config.fromEnv(Map.of("NEXT_BASE_URL", app.base().toString(), "CALLBACK_RETRY_SCHEDULE", "1s,1s"));
            try (JobStore jobs = new JobStore(Duration.ofHours(1), StateObjects.inMemory(), hmac, clock);
                 TerminalCallbacks callbacks = new TerminalCallbacks(config, jobs, null, new SignedHttp(hmac), clock, "replica-1")) {
                jobs.handChangesTo(callbacks::learn); // the job-changed route's step
                Job job = newJob(jobs, clock, Engine.DOWNLOADER);
                jobs.transition(job.jobId, j -> {
                    Job.Draft d = j.draft();
                    JobTransitions.terminate(d, "failed", "runner reported failed", clock.millis());
                    return d.build();
                });
                callbacks.attempt(job.jobId); // the app answers 500: the next attempt in about a second
                assertEquals(1, calls.get());

                clock.jump(Duration.ofHours(-1));
                Wait.until("the second attempt, about a second later", Duration.ofSeconds(15), () -> {
                    callbacks.deliverDue();
                    return jobs.fresh(job.jobId).orElseThrow().callback.delivered();
                });
                assertEquals(2, calls.get());
            }
        }
    }
}
