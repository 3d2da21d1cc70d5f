package dev.mediaorchestrator.storage;

import dev.mediaorchestrator.common.RetryAfter;
import dev.mediaorchestrator.common.Ticker;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/**
 * The one place where a failure of the store is judged (the SDK's own retries are off, so that
 * this is the only policy). A transient failure — no connection, a time-out, a reset, 5xx, 429,
 * {@code SlowDown}/{@code TooManyRequests} (R2 allows one write per second per key and answers 429
 * beyond) — is tried again with backoff (250 ms doubling to 2 s, jittered; 1 to 1.5 s after a
 * throttling answer; never sooner than the store's {@code Retry-After}) while the call's budget lasts
 * ({@code STORE_RETRY_SECONDS}); then,
 * and for any other refusal, the call fails with {@link StoreUnavailable}, naming the bucket.
 * Deadlines are on the {@link Ticker}, not the wall clock.
 *
 * <p>A failure of the caller's source (an upload's input stream failing or ending early) is not the
 * store's: it is rethrown as it came, never retried.
 */
final class StoreRetry {
    /** What the backoff starts with, and its ceiling. */
    static final long FIRST_BACKOFF_MS = 250;
    static final long MAX_BACKOFF_MS = 2_000;
    private static final Set<String> TRANSIENT_CODES = Set.of("SlowDown", "TooManyRequests", "RequestTimeout", "ServiceUnavailable",
            "InternalError", "Throttling", "ThrottlingException", "RequestTimeTooSkewed", "XMinioServerNotInitialized");

    /** A call to the store; it may throw the SDK's exceptions or an {@link IOException}. */
    @FunctionalInterface
    interface Call<T> {
        T run() throws IOException;
    }

    /** How a retry waits (tests replace it). */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long ms) throws InterruptedException;
    }

    private final String bucket;
    private final Duration budget;
    private final Ticker ticker;
    private final Sleeper sleeper;
    private final DoubleSupplier random;

    StoreRetry(String bucket, Duration budget) {
        this(bucket, budget, Ticker.SYSTEM, Thread::sleep, () -> ThreadLocalRandom.current().nextDouble());
    }

    StoreRetry(String bucket, Duration budget, Ticker ticker, Sleeper sleeper, DoubleSupplier random) {
        this.bucket = bucket;
        this.budget = budget;
        this.ticker = ticker;
        this.sleeper = sleeper;
        this.random = random;
    }

    StoreRetry withBudget(Duration budget) {
        return new StoreRetry(bucket, budget, ticker, sleeper, random);
    }

    Duration budget() {
        return budget;
    }

    /** Runs {@code call}, again on transient failures within the budget; a store failure is {@link StoreUnavailable}. */
    <T> T run(Call<T> call) {
        try {
            return run(call, true, () -> false);
        } catch (IOException e) {
            throw unavailable(e, 0); // no source here: every IOException is the store's
        }
    }

    /** {@link #run(Call)} with no retry: for a request whose body cannot be sent twice. */
    <T> T once(Call<T> call) {
        try {
            return run(call, false, () -> false);
        } catch (IOException e) {
            throw unavailable(e, 0);
        }
    }

    /**
     * Runs an upload from a caller's stream: {@code retry} only when the body can be sent again
     * (it is in a buffer). A failure of the source ({@code sourceFailed}, or the body ending early)
     * is rethrown as it came; anything else that fails is the store's.
     */
    <T> T run(Call<T> call, boolean retry, BooleanSupplier sourceFailed) throws IOException {
        long start = ticker.nanos();
        for (int attempt = 1; ; attempt++) {
            try {
                return call.run();
            } catch (IOException | SdkException e) {
                if (e instanceof EOFException || sourceFailed.getAsBoolean()) {
                    if (e instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException(e);
                }
                long retryAfterMs = retryAfterMs(e);
                if (!retry || !isTransient(e)) {
                    throw unavailable(e, retryAfterMs);
                }
                long wait = attempt == 1 && isStaleConnection(e) ? 0
                        : Math.max(retryAfterMs, isThrottled(e) ? throttleWait() : backoff(attempt));
                long left = budget.toMillis() - (ticker.nanos() - start) / 1_000_000;
                if (wait >= left) {
                    throw unavailable(e, retryAfterMs);
                }
                try {
                    sleeper.sleep(wait);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw unavailable(e, retryAfterMs);
                }
            }
        }
    }

    /**
     * After a throttling answer (429, SlowDown): between 1 and 1.5 s. R2 takes one write per second per
     * key and a retry within that second is refused again (and counts as an attempt); a sooner retry
     * only adds to the refusals.
     */
    long throttleWait() {
        return THROTTLE_WAIT_MS + Math.round(THROTTLE_WAIT_MS / 2.0 * random.getAsDouble());
    }

    static final long THROTTLE_WAIT_MS = 1_000;

    /** A throttling answer: the store is up, and asks for fewer requests (on this key). */
    static boolean isThrottled(Throwable e) {
        String code = e instanceof S3Exception s && s.awsErrorDetails() != null ? s.awsErrorDetails().errorCode()
                : e instanceof StoreAnswer a ? a.code : null;
        int status = e instanceof S3Exception s ? s.statusCode() : e instanceof StoreAnswer a ? a.status : 0;
        return status == 429 || "SlowDown".equals(code) || "TooManyRequests".equals(code) || "Throttling".equals(code);
    }

    /** The n-th wait: 250 ms doubling to 2 s, each between half and the whole of it. */
    long backoff(int attempt) {
        long base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(10, attempt - 1));
        return Math.round(base * (0.5 + 0.5 * random.getAsDouble()));
    }

    StoreUnavailable unavailable(Throwable e, long retryAfterMs) {
        int seconds = retryAfterMs > 0 ? (int) Math.min(3600, (retryAfterMs + 999) / 1000) : StoreUnavailable.DEFAULT_RETRY_AFTER_SECONDS;
        return new StoreUnavailable(bucket, detail(e), seconds, e);
    }

    /**
     * A request written into a kept-alive connection the store had closed: {@code Broken pipe} or a
     * reset while sending it, or no answer at all (Apache's {@code NoHttpResponseException}). The
     * HTTP client checks a pooled connection only after 2 s idle, and a store closes one after some
     * answers (S3Proxy after an error whose body it did not read) or when idle (R2), so the first
     * request after that meets it. It never reached the store: the first retry goes at once, on a
     * new connection, instead of after the backoff (that was 125-250 ms on one job in three here).
     */
    static boolean isStaleConnection(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage();
            if (t instanceof SocketException && (message.contains("Broken pipe") || message.contains("Connection reset"))
                    || t.getClass().getName().equals("org.apache.http.NoHttpResponseException")) {
                return true;
            }
        }
        return false;
    }

    /** Whether trying the same request again may succeed. */
    static boolean isTransient(Throwable e) {
        if (e instanceof S3Exception s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            return s.statusCode() >= 500 || s.statusCode() == 429 || (code != null && TRANSIENT_CODES.contains(code));
        }
        if (e instanceof StoreAnswer a) {
            return a.status >= 500 || a.status == 429 || (a.code != null && TRANSIENT_CODES.contains(a.code));
        }
        if (e instanceof SdkClientException || e instanceof IOException) {
            return !(rootCause(e) instanceof UnknownHostException);
        }
        return false;
    }

    /** The store's {@code Retry-After} in ms (seconds or an HTTP date), 0 when it gave none. */
    static long retryAfterMs(Throwable e) {
        String header = null;
        if (e instanceof S3Exception s && s.awsErrorDetails() != null && s.awsErrorDetails().sdkHttpResponse() != null) {
            header = s.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After").orElse(null);
        } else if (e instanceof StoreAnswer a) {
            header = a.retryAfter;
        }
        return RetryAfter.millis(header, System.currentTimeMillis());
    }

    /** What the store did, in a few words, for the answer and the log (never a URL: they carry signatures). */
    static String detail(Throwable e) {
        if (e instanceof S3Exception s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            String message = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorMessage();
            return cut("answered " + s.statusCode() + (code == null ? "" : " " + code) + (message == null ? "" : ": " + message));
        }
        if (e instanceof StoreAnswer a) {
            return cut(a.getMessage());
        }
        Throwable root = rootCause(e);
        if (root instanceof ConnectException) {
            return "connection refused";
        }
        if (root instanceof SocketTimeoutException || root instanceof InterruptedIOException
                || root.getClass().getSimpleName().contains("Timeout")) {
            return "timed out";
        }
        if (root instanceof UnknownHostException) {
            return "unknown host";
        }
        String message = root.getMessage() == null ? "" : ": " + root.getMessage().replaceAll("(?i)(https?://[^\\s?#]*)[?#]\\S*", "$1?***");
        return cut(root.getClass().getSimpleName() + message);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static String cut(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() <= 200 ? one : one.substring(0, 200) + "…";
    }
}
