package dev.mediaorchestrator.common;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A streaming {@code PUT} of a known number of bytes on a plain blocking connection: presigned
 * uploads to the store (multipart parts, whole objects) and a runner's outputs. Fixed-length
 * streaming, no buffering of the body. Measured on this machine (21 MB to the embedded store, the
 * first upload of a fresh JVM, as a runner's upload usually is): 200 MB/s this way against 60 MB/s
 * through {@code HttpClient} with {@code BodyPublishers.ofFile}. URLs never appear in
 * messages (they may carry signatures). The headers a presigned URL signs are sent with their values:
 * {@code Content-Type} always, and {@code x-amz-content-sha256: UNSIGNED-PAYLOAD} when the URL names
 * it in {@code X-Amz-SignedHeaders} (CONTRACT.md, "Presigned PUT headers").
 */
public final class StreamingPut {
    private static final int COPY_BUFFER = 256 * 1024;
    /** Of an answer's body only this much is read (to keep the connection); the rest is dropped. */
    private static final long MAX_ANSWER_BODY = 64 * 1024;

    /** The payload hash of a presigned request whose body is not hashed. */
    public static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

    private StreamingPut() {
    }

    /**
     * The headers a SigV4 presigned URL declares as signed ({@code X-Amz-SignedHeaders}, lower case;
     * the parameter name is matched in any case, its value URL-decoded); empty for any other URL.
     * A request must send each of them with the value that was signed, or the store answers 403.
     */
    public static Set<String> signedHeaders(URL url) {
        String query;
        try {
            query = url.toURI().getRawQuery();
        } catch (URISyntaxException e) {
            query = url.getQuery();
        }
        if (query == null) {
            return Set.of();
        }
        for (String param : query.split("&")) {
            int eq = param.indexOf('=');
            if (eq > 0 && param.substring(0, eq).equalsIgnoreCase("X-Amz-SignedHeaders")) {
                String value = URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
                Set<String> names = new TreeSet<>();
                for (String name : value.split(";")) {
                    if (!name.isBlank()) {
                        names.add(name.trim().toLowerCase(Locale.ROOT));
                    }
                }
                return names;
            }
        }
        return Set.of();
    }

    /**
     * The status and {@code ETag} of the answer; for an error, its {@code Retry-After} and the start
     * of its body (an S3 store's XML error: its {@code Code} and {@code Message} say what went wrong).
     */
    public record Answer(int status, String etag, String retryAfter, String errorBody) {
        public Answer(int status, String etag) {
            this(status, etag, null, null);
        }

        public boolean ok() {
            return status / 100 == 2;
        }
    }

    /** Of an error answer's body this much is kept (an S3 error is a few hundred bytes). */
    private static final int MAX_ERROR_BODY = 4 * 1024;

    /**
     * Sends exactly {@code length} bytes of {@code in} with {@code contentType}. A stream that ends
     * before that is an {@link EOFException} (and the request is cut off, so a store keeps nothing);
     * bytes after that are not read.
     */
    public static Answer put(URL url, InputStream in, long length, String contentType,
                             Duration connectTimeout, Duration readTimeout) throws IOException {
        return put(url, in, length, contentType, connectTimeout, readTimeout, null);
    }

    /**
     * {@link #put(URL, InputStream, long, String, Duration, Duration)} that registers a way to end it
     * in {@code inFlight} while it runs (its owner stopping ends every PUT it has in flight).
     */
    public static Answer put(URL url, InputStream in, long length, String contentType,
                             Duration connectTimeout, Duration readTimeout, Set<Runnable> inFlight) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        Watch watch = new Watch(c, readTimeout, inFlight);
        try {
            c.setRequestMethod("PUT");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(length);
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            c.setRequestProperty("Content-Type", contentType);
            if (signedHeaders(url).contains("x-amz-content-sha256")) {
                // presigned with the payload hash header signed (the original Worker does): its value must be sent
                c.setRequestProperty("x-amz-content-sha256", UNSIGNED_PAYLOAD);
            }
            try (OutputStream out = c.getOutputStream()) {
                byte[] buffer = new byte[(int) Math.min(COPY_BUFFER, Math.max(1, length))];
                long left = length;
                while (left > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new EOFException("the body ended after " + (length - left) + " of " + length + " bytes");
                    }
                    out.write(buffer, 0, n);
                    watch.progress();
                    left -= n;
                }
            }
            watch.stop(); // the body is out: the answer has the read timeout
            int status = c.getResponseCode();
            InputStream body = status < 400 ? c.getInputStream() : c.getErrorStream();
            String errorBody = null;
            if (body != null) {
                try (body) {
                    if (status >= 400) {
                        errorBody = new String(body.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
                    }
                    if (body.skip(MAX_ANSWER_BODY) == MAX_ANSWER_BODY) {
                        c.disconnect();
                    }
                }
            }
            return new Answer(status, c.getHeaderField("ETag"), c.getHeaderField("Retry-After"), errorBody);
        } catch (IOException | RuntimeException e) {
            c.disconnect(); // a body cut short must not be completed by anything else on this connection
            if (watch.reason != null) {
                throw new IOException(watch.reason, e);
            }
            throw e;
        } finally {
            watch.stop();
        }
    }

    // plain, not a Camel pool: a static helper of a utility used by the CLI and tests without a context
    private static final ScheduledExecutorService WATCHDOG =
            Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "put-watchdog");
                t.setDaemon(true);
                return t;
            });

    /**
     * A write has no timeout of its own in {@link HttpURLConnection}: a peer that stops reading (a
     * refusal that never reads the body) would block it for ever. The watchdog disconnects a PUT
     * whose body has not moved for {@code idle}, which makes the blocked write fail.
     */
    private static final class Watch {
        private final HttpURLConnection connection;
        private final long idleNanos;
        private final ScheduledFuture<?> task;
        private final Set<Runnable> inFlight;
        private final Runnable stopping = () -> abort("stopped: the process is shutting down");
        private volatile long lastProgress = System.nanoTime();
        volatile String reason;

        Watch(HttpURLConnection connection, Duration idle, Set<Runnable> inFlight) {
            this.connection = connection;
            this.idleNanos = idle.toNanos();
            this.inFlight = inFlight;
            long period = Math.max(50, Math.min(1000, idle.toMillis() / 4));
            if (inFlight != null) {
                inFlight.add(stopping);
            }
            this.task = WATCHDOG.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
        }

        void progress() {
            lastProgress = System.nanoTime();
        }

        private void check() {
            if (System.nanoTime() - lastProgress > idleNanos) {
                abort("nothing could be sent for " + (idleNanos / 1_000_000) + " ms (the peer stopped reading)");
            }
        }

        void abort(String why) {
            if (reason == null) {
                reason = why;
                connection.disconnect();
            }
            stop();
        }

        void stop() {
            task.cancel(false);
            if (inFlight != null) {
                inFlight.remove(stopping);
            }
        }
    }
}
