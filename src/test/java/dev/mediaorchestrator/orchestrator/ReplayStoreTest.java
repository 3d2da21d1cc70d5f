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
        assertEquals(Optional.empty(), store.claim(keys));
        ReplayStore.Earlier pending = store.claim(List.of("jobs-nonce:n1")).orElseThrow();
        assertTrue(pending.pending(), "the original is still being processed");
        store.complete(keys, "{\"jobId\":\"job_x\"}");
        assertEquals("{\"jobId\":\"job_x\"}", store.claim(List.of("jobs-sig:abc", "jobs-nonce:other")).orElseThrow().response());
        assertEquals(Optional.empty(), store.claim(List.of("jobs-nonce:other")), "a failed claim keeps none of its keys");
    }

    @Test
    void aReleasedRequestMayBeRetried() {
        List<String> keys = List.of("jobs-sig:def");
        assertEquals(Optional.empty(), store.claim(keys));
        store.release(keys);
        assertEquals(Optional.empty(), store.claim(keys));
    }

    @Test
    void signaturesAreKeptTwelveMinutesIdempotencyKeysTheirTtl() {
        store.claim(List.of("jobs-sig:s", "jobs-idem:k"));
        now.addAndGet(Duration.ofMinutes(11).toMillis());
        assertEquals(0, store.sweep(), "a ts can be accepted for 11 minutes (600 s past, 60 s future)");
        now.addAndGet(Duration.ofMinutes(2).toMillis());
        assertEquals(1, store.sweep());
        assertEquals(Optional.empty(), store.claim(List.of("jobs-sig:s")));
        assertTrue(store.claim(List.of("jobs-idem:k")).isPresent(), "the idempotency key lives on");
        now.addAndGet(Duration.ofHours(24).toMillis());
        assertEquals(2, store.sweep());
    }
}
