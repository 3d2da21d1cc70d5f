package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The queue is first in, first out at the runner even when the dispatcher believes more slots are
 * free than the runner has: before it has learned the runner's size (MAX_ACTIVE_JOBS=4, one slot),
 * or when it learned too many (a job the runner finished counts as running until its outputs are
 * noticed). The offers of one engine go one at a time, in queue order. Before, the free "slots"
 * were offered at once, a later job could reach the runner first and take its one slot, and the
 * job ahead of it got 429 (QueueOrderTest saw jobs 8 and 9 swapped, once in a full run).
 */
@IntegrationTest // a loopback HTTP server stands in for the runner
class DispatchOrderTest {
    @Test
    void waitingJobsReachARunnerWithOneSlotInQueueOrderOneOfferAtATime() throws Exception {
        AtomicBoolean busy = new AtomicBoolean();
        AtomicInteger offering = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        List<String> offered = new CopyOnWriteArrayList<>();
        List<String> taken = new CopyOnWriteArrayList<>();
        try (StubHttpServer runner = new StubHttpServer()) {
            runner.on("/render", ex -> {
                mostAtOnce.accumulateAndGet(offering.incrementAndGet(), Math::max);
                try {
                    String jobId = (String) Json.parseObject(runner.record(ex).body()).get("jobId");
                    offered.add(jobId);
                    Thread.sleep(50); // a runner takes a moment to answer: time for a second offer to overtake
                    if (busy.compareAndSet(false, true)) {
                        taken.add(jobId);
                        StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
                    } else {
                        StubHttpServer.respond(ex, 429, "application/json", "{\"error\":\"busy\"}".getBytes());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    offering.decrementAndGet();
                }
            });
            Config config = Config.fromEnv(Map.of("CONTAINER_BASE_URL", runner.base().toString(), "MAX_ACTIVE_JOBS", "4"));
            Hmac hmac = new Hmac("s".repeat(32));
            JobStore jobs = new JobStore(Duration.ofDays(1));
            Clock clock = Clock.systemUTC();
            try (Dispatcher dispatcher = new Dispatcher(config, jobs, new TransferUrls(config, null, hmac, clock), new SignedHttp(hmac), clock)) {
                List<String> queue = new ArrayList<>();
                long createdAt = clock.millis() - 10_000;
                for (char c = 'a'; c <= 'e'; c++) {
                    Job job = new Job("job_" + String.valueOf(c).repeat(26), "m", Engine.BURNER, Map.of(), createdAt++, "n");
                    jobs.create(job);
                    queue.add(job.jobId);
                }
                dispatcher.offerWaiting(false);
                Wait.atMost(Duration.ofSeconds(10), () -> !taken.isEmpty());
                Thread.sleep(300); // any further offer of this round has arrived by now
                assertEquals(List.of(queue.get(0)), taken, "the head of the queue took the runner's slot");
                assertEquals(1, mostAtOnce.get(), "offers of one engine at once; offered: " + offered);
                assertEquals(queue.subList(0, offered.size()), offered, "offered in queue order");

                // the slot frees: the next job in the queue gets it, and only it
                jobs.transition(queue.get(0), j -> {
                    Job.Draft d = j.draft();
                    d.status = "completed";
                    return d.build();
                });
                busy.set(false);
                dispatcher.wake();
                Wait.atMost(Duration.ofSeconds(10), () -> taken.size() >= 2);
                Thread.sleep(300);
                assertEquals(queue.subList(0, 2), taken, "the second in the queue took the freed slot");
                assertEquals(1, mostAtOnce.get(), "offers of one engine at once; offered: " + offered);
                assertTrue(offered.indexOf(queue.get(1)) >= 0);
            }
        }
    }
}
