package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.common.Tracing;
import dev.mediaorchestrator.common.StreamingGet;
import dev.mediaorchestrator.common.StreamingPut;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Moves a job's files: inputs streamed from their URLs (presigned S3 or orchestrator-signed, the
 * same code for both) to disk with {@link StreamingGet}, outputs streamed from disk with {@code PUT}
 * ({@link StreamingPut}) and their Content-Type.
 * Nothing is held in memory whole. URLs are never put in error messages (they carry signatures).
 */
public final class Transfers {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** A transfer that moves nothing (or waits for an answer) this long has failed. */
    private static final Duration STALL_TIMEOUT = Duration.ofMinutes(2);

    private volatile RunnerEvents metrics = RunnerEvents.NONE;
    /** How to end each upload in flight (see {@link #abortAll()}). */
    private final java.util.Set<Runnable> uploads = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
     * (checked at each read of the file): the request is cut off, so the store keeps nothing.
     */
    public Uploaded upload(String what, Path file, String url, String contentType, BooleanSupplier stop) {
        return tracing.inSpan("upload " + what, true, span -> uploadNow(what, file, url, contentType, stop));
    }

    private Uploaded uploadNow(String what, Path file, String url, String contentType, BooleanSupplier stop) {
        java.security.MessageDigest sha256;
        try {
            sha256 = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new java.security.DigestInputStream(new Stoppable(Files.newInputStream(file), stop), sha256)) {
            long size = Files.size(file);
            StreamingPut.Answer a = StreamingPut.put(uri(what, url).toURL(), metrics.runnerUpload(what, in), size,
                    contentType, CONNECT_TIMEOUT, STALL_TIMEOUT, uploads);
            if (!a.ok()) {
                throw new RunnerFailure("upload of " + what + " failed: HTTP " + a.status());
            }
            return new Uploaded(size, java.util.HexFormat.of().formatHex(sha256.digest()));
        } catch (IOException e) {
            throw new RunnerFailure("upload of " + what + " failed: " + e.getClass().getSimpleName()
                    + detail(e), e);
        }
    }

    /** The runner is stopping: every upload in flight fails now (a peer that stopped reading cannot hold the shutdown). */
    public void abortAll() {
        for (Runnable r : java.util.List.copyOf(uploads)) {
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
