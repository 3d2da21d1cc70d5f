package dev.mediaorchestrator.storage;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;

/**
 * Plain HTTP {@code PUT}s to presigned URLs of the store: a part of a multipart upload from a buffer
 * ({@link #part}: a failed attempt — no answer, 5xx, 429 — is made again up to {@value #ATTEMPTS}
 * times, as the SDK would, since the buffer is still there), or a whole object of known length
 * straight from a stream ({@link #stream}: one attempt, since a stream cannot be read twice; a body
 * that ends short is never stored, as S3 stores a PUT whole or not at all). Any other answer fails
 * with its status; the URL (it carries a signature) never appears in a message.
 */
final class PresignedPut {
    static final int ATTEMPTS = 3;
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 120_000;
    private static final int COPY_BUFFER = 256 * 1024;

    private PresignedPut() {
    }

    /** Uploads {@code buffer[0, len)}; returns the part's ETag. */
    static String part(URL url, byte[] buffer, int len) throws IOException {
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            if (attempt > 1) {
                pause(attempt);
            }
            HttpURLConnection c = (HttpURLConnection) url.openConnection();
            int status;
            String etag;
            try {
                c.setRequestMethod("PUT");
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(len);
                c.setConnectTimeout(CONNECT_TIMEOUT_MS);
                c.setReadTimeout(READ_TIMEOUT_MS);
                c.setRequestProperty("Content-Type", "application/octet-stream");
                try (OutputStream out = c.getOutputStream()) {
                    out.write(buffer, 0, len);
                }
                status = c.getResponseCode();
                etag = c.getHeaderField("ETag");
                drain(status < 400 ? c.getInputStream() : c.getErrorStream());
            } catch (IOException e) {
                c.disconnect();
                last = new IOException("part upload failed: " + e.getClass().getSimpleName(), e);
                continue;
            }
            if (status / 100 == 2) {
                if (etag == null || etag.isBlank()) {
                    throw new IOException("part upload answered " + status + " without an ETag");
                }
                return etag;
            }
            last = new IOException("part upload answered HTTP " + status);
            if (status / 100 != 5 && status != 429) {
                throw last;
            }
        }
        throw last;
    }

    /**
     * Uploads exactly {@code length} bytes of {@code in} with {@code contentType} (the one the URL
     * was signed with). Fails if the stream ends before that; bytes after that are not read.
     */
    static void stream(URL url, InputStream in, long length, String contentType) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        int status;
        try {
            c.setRequestMethod("PUT");
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(length);
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(READ_TIMEOUT_MS);
            c.setRequestProperty("Content-Type", contentType);
            try (OutputStream out = c.getOutputStream()) {
                byte[] buffer = new byte[COPY_BUFFER];
                long left = length;
                while (left > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                    if (n < 0) {
                        throw new EOFException("the source ended after " + (length - left) + " of " + length + " bytes");
                    }
                    out.write(buffer, 0, n);
                    left -= n;
                }
            }
            status = c.getResponseCode();
            drain(status < 400 ? c.getInputStream() : c.getErrorStream());
        } catch (IOException e) {
            c.disconnect(); // a body cut short must not be completed by anything else on this connection
            throw e;
        }
        if (status / 100 != 2) {
            throw new IOException("upload answered HTTP " + status);
        }
    }

    private static void drain(InputStream in) throws IOException {
        if (in == null) {
            return;
        }
        try (in) {
            in.skip(Long.MAX_VALUE);
        }
    }

    private static void pause(int attempt) throws IOException {
        try {
            Thread.sleep(250L << (attempt - 2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted between part upload attempts", e);
        }
    }
}
