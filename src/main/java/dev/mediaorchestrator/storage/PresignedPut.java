package dev.mediaorchestrator.storage;

import dev.mediaorchestrator.common.StreamingPut;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.time.Duration;

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
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);

    private PresignedPut() {
    }

    /** Uploads {@code buffer[0, len)}; returns the part's ETag. */
    static String part(URL url, byte[] buffer, int len) throws IOException {
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            if (attempt > 1) {
                pause(attempt);
            }
            StreamingPut.Answer a;
            try {
                a = StreamingPut.put(url, new ByteArrayInputStream(buffer, 0, len), len, "application/octet-stream",
                        CONNECT_TIMEOUT, READ_TIMEOUT);
            } catch (IOException e) {
                last = new IOException("part upload failed: " + e.getClass().getSimpleName(), e);
                continue;
            }
            if (a.ok()) {
                if (a.etag() == null || a.etag().isBlank()) {
                    throw new IOException("part upload answered " + a.status() + " without an ETag");
                }
                return a.etag();
            }
            last = new IOException("part upload answered HTTP " + a.status());
            if (a.status() / 100 != 5 && a.status() != 429) {
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
        StreamingPut.Answer a = StreamingPut.put(url, in, length, contentType, CONNECT_TIMEOUT, READ_TIMEOUT);
        if (!a.ok()) {
            throw new IOException("upload answered HTTP " + a.status());
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
