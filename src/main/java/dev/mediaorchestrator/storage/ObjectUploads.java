package dev.mediaorchestrator.storage;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Storage}'s streamed uploads: one presigned PUT straight from a stream of known length, or
 * fixed-size parts from a buffer (memory bounded by one part whatever the object's size), and the
 * sweep of multipart uploads nobody will complete. What is sent from a buffer is tried again on a
 * transient failure of the store; a stream cannot be sent twice. A failure of the caller's stream is
 * the source's and is rethrown as it came ({@link Source}); anything else is the store's.
 */
final class ObjectUploads {
    /** Lifetime of a part's presigned URL: it is used at once, and again only by its retries. */
    private static final Duration PART_URL_TTL = Duration.ofMinutes(15);

    private final Storage storage;
    private final Set<String> ownUploads = ConcurrentHashMap.newKeySet();

    ObjectUploads(Storage storage) {
        this.storage = storage;
    }

    /**
     * Streams {@code in} into {@code key}. When the caller knows the length ({@code length} is not
     * negative) and it fits one PUT ({@value Storage#MAX_SINGLE_PUT} bytes), the object goes up in one
     * presigned {@code PUT} straight from the stream, with no buffer: S3 stores a PUT whole or not at
     * all, so a source that fails or ends short leaves nothing behind. Otherwise see
     * {@link #put(String, InputStream, String)}. The stream is read, not closed.
     */
    Storage.ObjectInfo put(String key, InputStream in, String contentType, long length) throws IOException {
        if (length < 0 || length > Storage.MAX_SINGLE_PUT || length < Storage.PART_SIZE) {
            return put(key, in, contentType);
        }
        Source source = new Source(in);
        URL url = storage.presignPut(key, contentType, PART_URL_TTL).toURL();
        // the stream cannot be sent twice: a failure of the store is a 503 at once (the caller's client retries)
        storage.retry().run(() -> {
            PresignedPut.stream(url, source, length, contentType);
            return null;
        }, false, source::failed);
        return storage.stored(key);
    }

    /**
     * Streams {@code in} of unknown length into {@code key}. Objects up to one part go up in one
     * PUT; larger ones as a multipart upload that is aborted if reading or uploading fails, so a
     * failed source never leaves a partial object. The stream is read, not closed.
     *
     * <p>The SDK creates, completes and aborts the upload; each part goes up as a plain HTTP
     * {@code PUT} of the buffer to a presigned UploadPart URL, like every runner upload. Measured
     * with bench/mirror-throughput and an in-process harness on this machine, the SDK's own sync
     * {@code uploadPart} cost 2.5 to 3.5 s of CPU per GiB more than this (its request pipeline,
     * aws-chunked signing of the body over http, and the Apache client's small writes), against
     * about 0.5 s for the presigned PUT. (The embedded store then copies every part once more into
     * the final file when the upload completes: about 2.7 s per GiB here; R2 and MinIO do not.)
     */
    Storage.ObjectInfo put(String key, InputStream in, String contentType) throws IOException {
        byte[] buffer = new byte[Storage.PART_SIZE];
        int n = readFully(in, buffer); // a failure here is the source's: it propagates as it is
        if (n < Storage.PART_SIZE) {
            storage.retry().run(() -> storage.client().putObject(b -> b.bucket(storage.bucket()).key(key).contentType(contentType).contentLength((long) n),
                    RequestBody.fromInputStream(new ByteArrayInputStream(buffer, 0, n), n)));
            return storage.stored(key);
        }
        String uploadId = storage.retry().run(() -> storage.client().createMultipartUpload(b -> b.bucket(storage.bucket()).key(key).contentType(contentType)).uploadId());
        ownUploads.add(uploadId);
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int partNumber = 1;
            int len = n;
            while (len > 0) {
                URL url = presignPart(key, uploadId, partNumber);
                int length = len;
                String etag = storage.retry().run(() -> PresignedPut.part(url, buffer, length)); // from the buffer: it can be sent again
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
                partNumber++;
                len = len == Storage.PART_SIZE ? readFully(in, buffer) : 0;
            }
            storage.retry().run(() -> storage.client().completeMultipartUpload(b -> b.bucket(storage.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())));
        } catch (IOException | RuntimeException e) {
            abortQuietly(key, uploadId, e);
            throw e;
        } finally {
            ownUploads.remove(uploadId);
        }
        return storage.stored(key);
    }

    private URL presignPart(String key, String uploadId, int partNumber) {
        return storage.presigner().presignUploadPart(p -> p.signatureDuration(PART_URL_TTL)
                .uploadPartRequest(u -> u.bucket(storage.bucket()).key(key).uploadId(uploadId).partNumber(partNumber))).url();
    }

    /** The multipart uploads this client has started and not yet completed or aborted. */
    Set<String> ownUploads() {
        return Set.copyOf(ownUploads);
    }

    /** {@link Storage#abortMultipartUploads(List, Instant)}, leaving the uploads in {@code keep} alone. */
    int abortMultipartUploads(List<String> prefixes, Instant startedBefore, Set<String> keep) {
        int aborted = 0;
        for (String prefix : prefixes) {
            List<MultipartUpload> uploads = storage.retry().run(() -> {
                List<MultipartUpload> all = new ArrayList<>();
                storage.client().listMultipartUploadsPaginator(b -> b.bucket(storage.bucket()).prefix(prefix)).forEach(page -> all.addAll(page.uploads()));
                return all;
            });
            for (var u : uploads) {
                if ((u.initiated() == null || u.initiated().isBefore(startedBefore)) && !keep.contains(u.uploadId()) && !ownUploads.contains(u.uploadId())) {
                    if (abort(u.key(), u.uploadId())) {
                        aborted++;
                    }
                }
            }
        }
        return aborted;
    }

    /** Aborts one upload; false when it is gone already (completed or aborted meanwhile: nothing to do). */
    private boolean abort(String key, String uploadId) {
        return storage.retry().run(() -> {
            try {
                storage.client().abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(storage.bucket()).key(key)
                        .uploadId(uploadId).build());
                return true;
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    return false;
                }
                throw e;
            }
        });
    }

    private void abortQuietly(String key, String uploadId, Exception cause) {
        try {
            abort(key, uploadId);
        } catch (RuntimeException e) {
            cause.addSuppressed(e); // left to UploadJanitor
        }
    }

    /** The caller's stream, noting whether it failed: such a failure is the source's, not the store's. */
    private static final class Source extends FilterInputStream {
        private volatile boolean failed;

        Source(InputStream in) {
            super(in);
        }

        boolean failed() {
            return failed;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
        }
    }

    private static int readFully(InputStream in, byte[] buffer) throws IOException {
        int off = 0;
        while (off < buffer.length) {
            int r = in.read(buffer, off, buffer.length - off);
            if (r < 0) {
                break;
            }
            off += r;
        }
        return off;
    }
}
