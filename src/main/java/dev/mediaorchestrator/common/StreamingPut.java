package dev.mediaorchestrator.common;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.time.Duration;

/**
 * A streaming {@code PUT} of a known number of bytes on a plain blocking connection: presigned
 * uploads to the store (multipart parts, whole objects) and a runner's outputs. Fixed-length
 * streaming, no buffering of the body. Measured on this machine (21 MB to the embedded store, the
 * first upload of a fresh JVM, as a runner's upload usually is): 200 MB/s this way against 60 MB/s
 * through {@code java.net.http.HttpClient} with {@code BodyPublishers.ofFile}. URLs never appear in
 * messages (they may carry signatures).
 */
public final class StreamingPut {
    private static final int COPY_BUFFER = 256 * 1024;
    /** Of an answer's body only this much is read (to keep the connection); the rest is dropped. */
    private static final long MAX_ANSWER_BODY = 64 * 1024;

    private StreamingPut() {
    }

    /** The status and {@code ETag} of the answer. */
    public record Answer(int status, String etag) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }

    /**
     * Sends exactly {@code length} bytes of {@code in} with {@code contentType}. A stream that ends
     * before that is an {@link EOFException} (and the request is cut off, so a store keeps nothing);
     * bytes after that are not read.
     */
    public static Answer put(URL url, InputStream in, long length, String contentType,
                             Duration connectTimeout, Duration readTimeout) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        try {
            c.setRequestMethod("PUT");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(length);
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            c.setRequestProperty("Content-Type", contentType);
            try (OutputStream out = c.getOutputStream()) {
                byte[] buffer = new byte[(int) Math.min(COPY_BUFFER, Math.max(1, length))];
                long left = length;
                while (left > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new EOFException("the body ended after " + (length - left) + " of " + length + " bytes");
                    }
                    out.write(buffer, 0, n);
                    left -= n;
                }
            }
            int status = c.getResponseCode();
            Answer answer = new Answer(status, c.getHeaderField("ETag"));
            InputStream body = status < 400 ? c.getInputStream() : c.getErrorStream();
            if (body != null) {
                try (body) {
                    if (body.skip(MAX_ANSWER_BODY) == MAX_ANSWER_BODY) {
                        c.disconnect();
                    }
                }
            }
            return answer;
        } catch (IOException | RuntimeException e) {
            c.disconnect(); // a body cut short must not be completed by anything else on this connection
            throw e;
        }
    }
}
