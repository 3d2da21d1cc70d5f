package dev.mediaorchestrator.storage;

import dev.mediaorchestrator.common.HttpError;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bucket failed: it refused the connection, timed out, answered 5xx, 429 or {@code SlowDown},
 * or refused the request for any other reason. Thrown by {@link Storage} for every failure of the
 * store (after its retries, {@link StoreRetry}), so callers need not tell the SDK's exceptions
 * apart: it is an {@link HttpError} 503 with {@code Retry-After}, and the {@code http} route
 * configuration answers it as {@code {"error":…,"bucket":…,"detail":…}}. The bucket is named so that
 * an operator reading the answer knows which part to look at (the app's own failures are 502s
 * naming the source).
 */
public final class StoreUnavailable extends HttpError {
    /** Retry-After when the store gave none. */
    static final int DEFAULT_RETRY_AFTER_SECONDS = 5;

    private final String bucket;
    private final String detail;
    private final Throwable origin;

    public StoreUnavailable(String bucket, String detail, int retryAfterSeconds, Throwable cause) {
        this("store unavailable, retry", bucket, detail, retryAfterSeconds, cause);
    }

    private StoreUnavailable(String error, String bucket, String detail, int retryAfterSeconds, Throwable cause) {
        super(503, error, body(bucket, detail));
        this.bucket = bucket;
        this.detail = detail;
        withRetryAfter(Math.max(1, retryAfterSeconds));
        if (cause != null) {
            // kept for a stack trace, not as the cause: Camel matches onException against the cause
            // chain from its root, and an IOException there would win over HttpError's 503
            addSuppressed(cause);
        }
        this.origin = cause;
    }

    private static Map<String, Object> body(String bucket, String detail) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bucket", bucket);
        m.put("detail", detail);
        return m;
    }

    /** The same failure answered with another error text (e.g. "job state could not be written, retry"). */
    public StoreUnavailable as(String error) {
        return new StoreUnavailable(error, bucket, detail, getRetryAfter(), origin);
    }

    public String bucket() {
        return bucket;
    }

    /** What the store did: "connection refused", "timed out", "answered 503 SlowDown: …". */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return "StoreUnavailable: bucket " + bucket + ": " + detail;
    }
}
