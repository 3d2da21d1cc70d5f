package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.ReplayCache;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Copies of a request whose original is still running in this process wait for it, but at most
 * {@link JobsApi#MAX_WAITING_COPIES} at a time: the next one is told to retry at once, so that a
 * burst of retries cannot take the API's worker threads.
 */
class WaitingCopiesTest {
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private final JobsApi api = new JobsApi(new JobStore(Duration.ofHours(1)), new ReplayCache(Duration.ofMinutes(12)),
            new ReplayCache(Duration.ofHours(24)), new ReplayStore(StateObjects.inMemory(), Clock.systemUTC(), Duration.ofHours(24)),
            Clock.systemUTC());

    @AfterEach
    void close() throws Exception {
        clients.shutdownNow();
        camel.close();
    }

    private Exchange post(String idempotencyKey) {
        Exchange e = new DefaultExchange(camel);
        e.setProperty("nonce", UUID.randomUUID().toString());
        e.setProperty("signature", UUID.randomUUID().toString());
        e.getMessage().setHeader("Idempotency-Key", idempotencyKey);
        return e;
    }

    @Test
    void atMostSoManyCopiesWaitAndTheRestAreToldToRetry() throws Exception {
        Exchange original = post("k-burst");
        api.admit(original); // then it mirrors a large source: no answer yet
        List<Future<String>> waiting = new ArrayList<>();
        for (int i = 0; i < JobsApi.MAX_WAITING_COPIES; i++) {
            waiting.add(clients.submit(() -> {
                Exchange copy = post("k-burst");
                api.admit(copy);
                return copy.getProperty("replayResponse", String.class);
            }));
        }
        long deadline = System.currentTimeMillis() + 5_000;
        while (api.waitingCopies.availablePermits() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, api.waitingCopies.availablePermits(), "the copies wait for the original");
        HttpError refused = assertThrows(HttpError.class, () -> api.admit(post("k-burst")),
                "one copy more is refused without waiting (before: every copy waited, a thread each)");
        assertEquals(503, refused.getStatus());
        assertEquals("original request still in progress, retry", refused.getError());
        assertFalse(waiting.stream().anyMatch(Future::isDone), "while the others still wait");

        original.setProperty("jobId", "job_aaaaaaaaaaaaaaaaaaaaaaaaaa");
        String answer = api.accepted(original);
        for (Future<String> copy : waiting) {
            assertEquals(answer, copy.get(10, TimeUnit.SECONDS), "a waiting copy gets the original's answer");
        }
        assertEquals(JobsApi.MAX_WAITING_COPIES, api.waitingCopies.availablePermits());
        Exchange late = post("k-burst");
        api.admit(late);
        assertEquals(answer, late.getProperty("replayResponse"), "and so does a copy after it");
    }
}
