package dev.mediaorchestrator.orchestrator;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The replay memory every replica shares: first claim wins, the answer is kept, keys expire. */
class ReplayStoreTest {
    private final AtomicLong now = new AtomicLong(System.currentTimeMillis());
    private final Clock clock = new Clock() {
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
            return Instant.ofEpochMilli(now.get());
        }
    };
    private final StateObjects objects = StateObjects.inMemory();
    private final ReplayStore store = new ReplayStore(objects, clock, Duration.ofHours(24));

    @Test
    void theFirstClaimWinsAndCopiesGetItsAnswer() {
        List<String> keys = Arrays.asList("jobs-sig:abc", null, "jobs-nonce:n1");
        assertEquals(Optional.empty(), store.claim(keys, null));
        ReplayStore.Earlier pending = store.claim(List.of("jobs-nonce:n1"), null).orElseThrow();
        assertTrue(pending.pending(), "the original is still being processed");
        assertEquals(null, pending.jobId(), "it records no job");
        store.complete(keys, "{\"jobId\":\"job_x\"}");
        assertEquals("{\"jobId\":\"job_x\"}", store.claim(List.of("jobs-sig:abc", "jobs-nonce:other"), null).orElseThrow().response());
        assertEquals(Optional.empty(), store.claim(List.of("jobs-nonce:other"), null), "a failed claim keeps none of its keys");
    }

    @Test
    void aReleasedRequestMayBeRetried() {
        List<String> keys = List.of("jobs-sig:def");
        assertEquals(Optional.empty(), store.claim(keys, null));
        store.release(keys);
        assertEquals(Optional.empty(), store.claim(keys, null));
    }

    @Test
    void signaturesAreKeptTwelveMinutesIdempotencyKeysTheirTtl() {
        store.claim(List.of("jobs-sig:s", "jobs-idem:k"), null);
        now.addAndGet(Duration.ofMinutes(11).toMillis());
        assertEquals(0, store.sweep(), "a ts can be accepted for 11 minutes (600 s past, 60 s future)");
        now.addAndGet(Duration.ofMinutes(2).toMillis());
        assertEquals(1, store.sweep());
        assertEquals(Optional.empty(), store.claim(List.of("jobs-sig:s"), null));
        assertTrue(store.claim(List.of("jobs-idem:k"), null).isPresent(), "the idempotency key lives on");
        now.addAndGet(Duration.ofHours(24).toMillis());
        assertEquals(2, store.sweep());
    }

    @Test
    void aPendingClaimNamesTheJobItsRequestIsRecording() {
        assertEquals(Optional.empty(), store.claim(List.of("jobs-idem:named"), "job_aaaaaaaaaaaaaaaaaaaaaaaaaa"));
        ReplayStore.Earlier copy = store.claim(List.of("jobs-sig:copy", "jobs-idem:named"), "job_bbbbbbbbbbbbbbbbbbbbbbbbbb").orElseThrow();
        assertTrue(copy.pending());
        assertEquals("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", copy.jobId(), "the first request's job, not the copy's");
        store.complete(List.of("jobs-idem:named"), "{}");
        assertEquals(null, store.read("jobs-idem:named").jobId(), "an answered claim is its answer only");
    }
}
