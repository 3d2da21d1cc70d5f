package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.RetryAfter;
import dev.mediaorchestrator.common.StreamingGet;
import dev.mediaorchestrator.common.StreamingPut;
import dev.mediaorchestrator.common.Ticker;
import dev.mediaorchestrator.common.Tracing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Moves a job's files: inputs streamed from their URLs (presigned S3 or orchestrator-signed, the
 * same code for both) to disk with {@link StreamingGet}, outputs streamed from disk with {@code PUT}
 * ({@link StreamingPut}) and their Content-Type.
 * Nothing is held in memory whole. URLs are never put in error messages (they carry signatures).
 *
 * <p>An upload that fails for a reason that may pass (no connection, a reset, a time-out, 5xx, 429,
 * 408) is sent again from the file on disk, with backoff (1 s doubling to 30 s, jittered, never
 * sooner than the store's {@code Retry-After}), until its URL expires ({@link UrlExpiry}: the
 * orchestrator signs output URLs until the job's deadline) or {@value #MAX_RETRY_MINUTES} minutes
 * have passed, whichever is first; a refusal (403, 400…) is final at once, and so is a job that was
 * stopped or a runner that is shutting down. Time is measured on a {@link Ticker}.
 */
public final class Transfers {
    private static final Logger LOG = LoggerFactory.getLogger(Transfers.class);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** A transfer that moves nothing (or waits for an answer) this long has failed. */
    private static final Duration STALL_TIMEOUT = Duration.ofMinutes(2);
    /** An upload is tried again for at most this long, however long its URL lives. */
    static final long MAX_RETRY_MINUTES = 10;
    static final long MAX_BACKOFF_MS = 30_000;

    private volatile RunnerEvents metrics = RunnerEvents.NONE;
    /** How to end each upload in flight (see {@link #abortAll()}). */
    private final Set<Runnable> uploads = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private final long firstBackoffMs;
    private final Clock clock;
    private final Ticker ticker;

    public Transfers() {
        this(1000, Clock.systemUTC(), Ticker.SYSTEM);
    }

    /** With the first retry's wait (tests: a few ms) and the clocks the URL's expiry and the waits are measured on. */
    Transfers(long firstBackoffMs, Clock clock, Ticker ticker) {
        this.firstBackoffMs = firstBackoffMs;
        this.clock = clock;
        this.ticker = ticker;
    }

    private volatile Tracing tracing = Tracing.OFF;

    /** Each download and upload a span of the job's trace (nothing until set). */
    public void setTracing(Tracing tracing) {
        this.tracing = tracing;
    }

    /** Where these transfers report to (observability; nothing until set). */
    public void setMetrics(RunnerEvents metrics) {
        this.metrics = metrics;
    }

    /** Downloads {@code url} to {@code target}; {@code what} names the input in errors. */
    public long download(String what, String url, Path target) {
        return tracing.inSpan("download " + what, true, span -> downloadNow(what, url, target));
    }

    private long downloadNow(String what, String url, Path target) {
        try (StreamingGet r = StreamingGet.open(uri(what, url), CONNECT_TIMEOUT, STALL_TIMEOUT); InputStream in = r.body()) {
            if (r.status() != 200) {
                throw new RunnerFailure("download of " + what + " failed: HTTP " + r.status());
            }
            long n = Files.copy(metrics.runnerDownload(what, in), target, StandardCopyOption.REPLACE_EXISTING);
            if (r.contentLength().isPresent() && r.contentLength().getAsLong() != n) {
                throw new RunnerFailure("download of " + what + " failed: the body ended after " + n + " of "
                        + r.contentLength().getAsLong() + " bytes");
            }
            return n;
        } catch (IOException e) {
            throw new RunnerFailure("download of " + what + " failed: " + e.getClass().getSimpleName()
                    + detail(e), e);
        }
    }

    /** Uploads {@code file} with {@code PUT} and {@code contentType}; {@code what} names the output in errors. */
    public Uploaded upload(String what, Path file, String url, String contentType) {
        return upload(what, file, url, contentType, () -> false);
    }

    /** What was sent: its size and the SHA-256 (hex) of its bytes, computed as they went out (no second read). */
    public record Uploaded(long size, String sha256) {
    }

    /**
     * {@link #upload(String, Path, String, String)} that stops as soon as {@code stop} answers true
     * (checked at each read of the file): the request is cut off, so the store keeps nothing. A
     * transient failure is tried again from the file (see the class comment).
     */
    public Uploaded upload(String what, Path file, String url, String contentType, BooleanSupplier stop) {
        return tracing.inSpan("upload " + what, true, span -> uploadNow(what, file, url, contentType, stop));
    }

    private Uploaded uploadNow(String what, Path file, String url, String contentType, BooleanSupplier stop) {
        URI target = uri(what, url);
        long started = ticker.nanos();
        long retryForMs = retryForMs(url);
        for (int attempt = 1; ; attempt++) {
            Attempt a = attempt(what, file, target, contentType, stop);
            if (a.uploaded != null) {
                return a.uploaded;
            }
            long elapsed = (ticker.nanos() - started) / 1_000_000;
            long wait = Math.max(a.retryAfterMs, backoff(attempt));
            if (!a.transientFailure || stop.getAsBoolean() || stopping || elapsed + wait >= retryForMs) {
                throw a.failure;
            }
            LOG.warn("{} (attempt {}); trying again in {} ms", a.failure.getMessage(), attempt, wait);
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw a.failure;
            }
        }
    }

    /** How long an upload to {@code url} may be tried again: until shortly before the URL expires, at most {@value #MAX_RETRY_MINUTES} min. */
    private long retryForMs(String url) {
        long max = Duration.ofMinutes(MAX_RETRY_MINUTES).toMillis();
        return UrlExpiry.of(url).map(e -> Math.min(max, e.toEpochMilli() - clock.millis() - 5_000)).orElse(max);
    }

    /** The n-th wait: 1 s doubling to 30 s, each between half and the whole of it. */
    private long backoff(int attempt) {
        long base = Math.min(MAX_BACKOFF_MS, firstBackoffMs << Math.min(16, attempt - 1));
        return Math.round(base * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
    }

    /** One attempt's outcome: what was uploaded, or the failure and whether another attempt may succeed. */
    private record Attempt(Uploaded uploaded, RunnerFailure failure, boolean transientFailure, long retryAfterMs) {
    }

    private Attempt attempt(String what, Path file, URI target, String contentType, BooleanSupplier stop) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(new Stoppable(Files.newInputStream(file), stop), sha256)) {
            long size = Files.size(file);
            StreamingPut.Answer a = StreamingPut.put(target.toURL(), metrics.runnerUpload(what, in), size,
                    contentType, CONNECT_TIMEOUT, STALL_TIMEOUT, uploads);
            if (!a.ok()) {
                int s = a.status();
                return new Attempt(null, new RunnerFailure("upload of " + what + " failed: HTTP " + s), s >= 500 || s == 429 || s == 408,
                        RetryAfter.millis(a.retryAfter(), clock.millis()));
            }
            return new Attempt(new Uploaded(size, HexFormat.of().formatHex(sha256.digest())), null, false, 0);
        } catch (IOException e) {
            RunnerFailure failure = new RunnerFailure("upload of " + what + " failed: " + e.getClass().getSimpleName() + detail(e), e);
            return new Attempt(null, failure, !(e instanceof NoSuchFileException), 0);
        }
    }

    /** The runner is stopping: every upload in flight fails now (a peer that stopped reading cannot hold the shutdown). */
    public void abortAll() {
        stopping = true;
        for (Runnable r : List.copyOf(uploads)) {
            r.run();
        }
    }

    private static final class Stoppable extends FilterInputStream {
        private final BooleanSupplier stop;

        Stoppable(InputStream in, BooleanSupplier stop) {
            super(in);
            this.stop = stop;
        }

        @Override
        public int read() throws IOException {
            check();
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            check();
            return super.read(b, off, len);
        }

        private void check() throws IOException {
            if (stop.getAsBoolean()) {
                throw new IOException("stopped");
            }
        }
    }

    /** An exception's message without the query of any URL in it (presigned URLs carry signatures there). */
    static String detail(Exception e) {
        return e.getMessage() == null ? "" : " " + e.getMessage().replaceAll("(?i)(https?://[^\\s?#]*)[?#]\\S*", "$1?***");
    }

    private static URI uri(String what, String url) {
        try {
            URI u = URI.create(url);
            if (u.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new RunnerFailure("the URL for " + what + " is not valid");
        }
    }
}
