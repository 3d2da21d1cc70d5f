package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The record writes of a job's end (issue 29: R2 takes one write per second per key): the write
 * that makes a job terminal also takes the delivery lease of its callback, so delivering it writes
 * the record once more (the outcome), not twice (a lease, then the outcome).
 */
@IntegrationTest
class TerminalWritesTest {

    @Test
    void theTerminalWriteCarriesTheLeaseAndTheDeliveryWritesOnce() throws Exception {
        Hmac hmac = new Hmac("terminal-writes");
        AtomicInteger recordWrites = new AtomicInteger();
        StateObjects counted = new ForwardingObjects(StateObjects.inMemory()) {
            @Override
            public Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly) {
                if (key.startsWith(JobKeys.STATE_PREFIX)) {
                    recordWrites.incrementAndGet();
                }
                return super.put(key, data, ifMatch, createOnly);
            }
        };
        try (StubHttpServer app = new StubHttpServer().answer("/api/render/cf-callback", 200, "{}");
             JobStore jobs = new JobStore(Duration.ofHours(1), counted, hmac, Clock.systemUTC())) {
            Config config = Config.fromEnv(Map.of("NEXT_BASE_URL", app.base().toString()));
            TerminalCallbacks callbacks = new TerminalCallbacks(config, jobs, null, new SignedHttp(hmac), Clock.systemUTC(), "replica-1");
            jobs.beforeTerminalWrite(callbacks::leaseAtTheEnd); // as App wires them
            Job job = jobs.create(new Job(JobKeys.newJobId(), "m", Engine.DOWNLOADER, Map.of("url", "https://example.com/v"),
                    System.currentTimeMillis(), UUID.randomUUID().toString()));
            Job failed = jobs.transition(job.jobId, j -> {
                Job.Draft d = j.draft();
                JobTransitions.terminate(d, "failed", "runner reported failed", System.currentTimeMillis());
                return d.build();
            }).orElseThrow();
            assertEquals("replica-1", failed.callback.leaseOwner(), "the terminal write holds the delivery lease");

            int before = recordWrites.get();
            callbacks.attempt(job.jobId);
            Job after = jobs.fresh(job.jobId).orElseThrow();
            assertTrue(after.callback.delivered(), "delivered");
            assertEquals(1, app.requests("/api/render/cf-callback").size());
            assertEquals(1, recordWrites.get() - before, "one record write for the delivery: its outcome");
            callbacks.close();
        }
    }
}
