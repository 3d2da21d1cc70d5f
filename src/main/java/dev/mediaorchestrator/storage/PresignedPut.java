package dev.mediaorchestrator.storage;

import dev.mediaorchestrator.common.StreamingPut;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.time.Duration;

/**
 * Plain HTTP {@code PUT}s to presigned URLs of the store: a part of a multipart upload from a buffer
 * ({@link #part}), or a whole object of known length straight from a stream ({@link #stream}; a body
 * that ends short is never stored, as S3 stores a PUT whole or not at all). One attempt each: the
 * caller's {@link StoreRetry} decides whether to send it again (a part, from its buffer) or not (a
 * stream cannot be read twice). An error answer is a {@link StoreAnswer} with its status, S3 code and
 * {@code Retry-After}; the URL (it carries a signature) never appears in a message.
 */
final class PresignedPut {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);

    private PresignedPut() {
    }

    /** Uploads {@code buffer[0, len)}; returns the part's ETag. */
    static String part(URL url, byte[] buffer, int len) throws IOException {
        StreamingPut.Answer a = StreamingPut.put(url, new ByteArrayInputStream(buffer, 0, len), len, "application/octet-stream",
                CONNECT_TIMEOUT, READ_TIMEOUT);
        if (!a.ok()) {
            throw StoreAnswer.of(a.status(), a.retryAfter(), a.errorBody());
        }
        if (a.etag() == null || a.etag().isBlank()) {
            throw new StoreAnswer(a.status(), null, "a part upload answered without an ETag", null);
        }
        return a.etag();
    }

    /**
     * Uploads exactly {@code length} bytes of {@code in} with {@code contentType} (the one the URL
     * was signed with). Fails if the stream ends before that; bytes after that are not read.
     */
    static void stream(URL url, InputStream in, long length, String contentType) throws IOException {
        StreamingPut.Answer a = StreamingPut.put(url, in, length, contentType, CONNECT_TIMEOUT, READ_TIMEOUT);
        if (!a.ok()) {
            throw StoreAnswer.of(a.status(), a.retryAfter(), a.errorBody());
        }
    }
}
