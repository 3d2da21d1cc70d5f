package dev.mediaorchestrator.storage;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store's retry policy: what is tried again, how long it waits, and what the caller is told. */
class StoreRetryTest {
    private final long[] now = {0};
    private final List<Long> waits = new ArrayList<>();

    /** A policy whose waits take no time: they move its ticker, and are noted. */
    private StoreRetry retry(long budgetMs) {
        return new StoreRetry("vidgen-render", Duration.ofMillis(budgetMs), () -> now[0], ms -> {
            waits.add(ms);
            now[0] += ms * 1_000_000;
        }, () -> 0.5);
    }

    private static S3Exception s3(int status, String code, String message, String retryAfter) {
        SdkHttpResponse.Builder response = SdkHttpResponse.builder().statusCode(status);
        if (retryAfter != null) {
            response.putHeader("Retry-After", retryAfter);
        }
        return (S3Exception) S3Exception.builder().statusCode(status).awsErrorDetails(AwsErrorDetails.builder().errorCode(code)
                .errorMessage(message).sdkHttpResponse(response.build()).build()).build();
    }

    /** A call that fails with {@code failures} in turn, then answers "ok". */
    private static StoreRetry.Call<String> failing(AtomicInteger calls, RuntimeException... failures) {
        return () -> {
            int i = calls.getAndIncrement();
            if (i < failures.length) {
                throw failures[i];
            }
            return "ok";
        };
    }

    @Test
    void aThrottledWriteWaitsASecondOrMoreAndGetsThrough() {
        AtomicInteger calls = new AtomicInteger();
        assertEquals("ok", retry(8000).run(failing(calls, s3(429, "TooManyRequests", "Reduce your concurrent request rate for the same object.", null),
                s3(503, "SlowDown", "Please reduce your request rate.", null))));
        assertEquals(3, calls.get());
        waits.forEach(w -> assertTrue(w >= 1000 && w <= 1500, "after a throttling answer: 1 to 1.5 s, not " + w));
    }

    @Test
    void aRequestSentIntoAConnectionTheStoreHadClosedIsSentAgainAtOnce() {
        AtomicInteger calls = new AtomicInteger();
        RuntimeException stale = SdkClientException.create("Unable to execute HTTP request: Broken pipe",
                new java.net.SocketException("Broken pipe"));
        assertEquals("ok", retry(8000).run(failing(calls, stale)));
        assertEquals(List.of(0L), waits, "no backoff for a connection that was dead before the request");

        waits.clear();
        calls.set(0);
        RuntimeException reset = SdkClientException.create("Unable to execute HTTP request",
                new java.net.SocketException("Connection reset"));
        assertEquals("ok", retry(8000).run(failing(calls, reset, reset)));
        assertEquals(List.of(0L, 375L), waits, "the second failure is the store's: the second backoff (500 ms, jittered)");
    }

    @Test
    void theStoresRetryAfterIsWaitedFor() {
        AtomicInteger calls = new AtomicInteger();
        assertEquals("ok", retry(8000).run(failing(calls, s3(503, "ServiceUnavailable", "busy", "3"))));
        assertEquals(List.of(3000L), waits);
    }

    @Test
    void aStoreThatStaysAwayIsA503NamingTheBucketWithinTheBudget() {
        AtomicInteger calls = new AtomicInteger();
        RuntimeException refused = SdkClientException.create("Unable to execute HTTP request", new ConnectException("Connection refused"));
        StoreUnavailable e = assertThrows(StoreUnavailable.class, () -> retry(2000).run(() -> {
            calls.incrementAndGet();
            throw refused;
        }));
        assertEquals("vidgen-render", e.bucket());
        assertEquals("connection refused", e.detail());
        assertEquals(503, e.getStatus());
        assertEquals(5, e.getRetryAfter());
        assertTrue(calls.get() > 1, "tried again");
        assertTrue(now[0] / 1_000_000 < 2000, "within the budget: " + now[0] / 1_000_000 + " ms");
        assertTrue(e.getJson().contains("\"bucket\":\"vidgen-render\""), e.getJson());
    }

    @Test
    void whatTheStoreDidIsSaidInAFewWords() {
        assertEquals("timed out", StoreRetry.detail(SdkClientException.create("x", new SocketTimeoutException("Read timed out"))));
        assertEquals("answered 500 InternalError: An internal error occurred. Try again.",
                StoreRetry.detail(s3(500, "InternalError", "An internal error occurred. Try again.", null)));
        assertEquals("answered 507 XMinioStorageFull: Storage backend has reached its minimum free drive threshold.",
                StoreRetry.detail(StoreAnswer.of(507, null, "<Error><Code>XMinioStorageFull</Code><Message>Storage backend has reached "
                        + "its minimum free drive threshold.</Message></Error>")));
        assertEquals("IOException: upload to http://store/b/k?*** failed",
                StoreRetry.detail(new IOException("upload to http://store/b/k?X-Amz-Signature=secret failed")), "no signature in a message");
    }

    @Test
    void aRefusalIsNotTriedAgain() {
        AtomicInteger calls = new AtomicInteger();
        StoreUnavailable e = assertThrows(StoreUnavailable.class,
                () -> retry(8000).run(failing(calls, s3(403, "AccessDenied", "Access Denied", null))));
        assertEquals(1, calls.get());
        assertEquals("answered 403 AccessDenied: Access Denied", e.detail());
    }

    @Test
    void theSourcesFailureIsRethrownAsItCameAndNotTriedAgain() {
        AtomicInteger calls = new AtomicInteger();
        EOFException early = new EOFException("the body ended after 10 of 20 bytes");
        IOException thrown = assertThrows(IOException.class, () -> retry(8000).run(() -> {
            calls.incrementAndGet();
            throw early;
        }, true, () -> false));
        assertSame(early, thrown);
        IOException sourceBroke = new IOException("source failed");
        assertSame(sourceBroke, assertThrows(IOException.class, () -> retry(8000).run(() -> {
            calls.incrementAndGet();
            throw sourceBroke;
        }, true, () -> true)));
        assertEquals(2, calls.get());
    }
}
