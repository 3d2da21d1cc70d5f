package dev.mediaorchestrator.common;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import java.util.Arrays;

/** The in-process replay memory and the keys a signed body is remembered by. */
class ReplayCacheTest {

    @Test
    void aBodyIsRememberedByItsNonceElseByItsSignature() {
        assertEquals(List.of("cb-nonce:n-1"), ReplayCache.replayKeys("cb", "abcd", "n-1"), "the signature covers the nonce");
        assertEquals(List.of("jobs-sig:abcd"), ReplayCache.replayKeys("jobs", "abcd", null));
        assertEquals(List.of(), ReplayCache.replayKeys("jobs", null, null));
    }

    @Test
    void theFirstClaimHoldsEveryKeyAndACopyGetsItsValue() {
        ReplayCache cache = new ReplayCache(Duration.ofMinutes(1));
        Object first = new Object();
        assertNull(cache.claim(Arrays.asList("jobs-nonce:a", null, "jobs-idem:k"), first));
        assertEquals(first, cache.claim(List.of("jobs-nonce:b", "jobs-idem:k"), new Object()), "the idempotency key is taken");
        assertNull(cache.claim(List.of("jobs-nonce:b"), new Object()), "and the copy kept none of its keys");
    }
}
