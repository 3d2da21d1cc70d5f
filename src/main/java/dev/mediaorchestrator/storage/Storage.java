package dev.mediaorchestrator.storage;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one storage component: an S3 client and presigner set up for R2, MinIO and the embedded
 * server alike (path-style addressing, checksums only when required, region from config).
 * Uploads of unknown length are streamed in fixed-size parts, so memory stays bounded by one part
 * whatever the object's size; a failed upload leaves no object behind.
 *
 * <p>Every call goes through {@link StoreRetry}: transient failures are tried again within
 * {@code STORE_RETRY_SECONDS}, and whatever the store does wrong reaches the caller as
 * {@link StoreUnavailable} (a 503 naming the bucket), never as one of the SDK's exceptions.
 */
public final class Storage implements AutoCloseable {
    /** Part size for streamed uploads; R2 wants equal parts, S3 at least 5 MiB except the last. */
    public static final int PART_SIZE = 8 * 1024 * 1024;
    /** Lifetime of a part's presigned URL: it is used at once, and again only by its retries. */
    private static final Duration PART_URL_TTL = Duration.ofMinutes(15);
    /** The largest object S3 (and R2) take in one PUT. */
    public static final long MAX_SINGLE_PUT = 5L * 1024 * 1024 * 1024;

    /** Built in the background: the SDK takes a while to load, which the service overlaps with its own start. */
    private final CompletableFuture<S3Client> clientFuture;
    private final CompletableFuture<S3Presigner> presignerFuture;
    /** Presigns for the endpoint the app reaches the bucket by (R2_S3_PUBLIC_ENDPOINT); the same presigner when that is the same. */
    private final CompletableFuture<S3Presigner> publicPresignerFuture;
    private final String bucket;
    private final URI endpoint;
    private volatile StoreRetry retry;
    /** How long a call may retry when none is set: R2's per-key limit (1 write/s) and a short outage fit. */
    public static final Duration DEFAULT_RETRY_BUDGET = Duration.ofSeconds(8);

    public Storage(URI endpoint, String accessKey, String secretKey, String region, String bucket) {
        this(endpoint, null, accessKey, secretKey, region, bucket);
    }

    /**
     * @param publicEndpoint the endpoint the app (not the orchestrator or runners) reaches the bucket
     *                       by, for the presigned GETs handed to it; null: the same as {@code endpoint}
     */
    public Storage(URI endpoint, URI publicEndpoint, String accessKey, String secretKey, String region, String bucket) {
        this.endpoint = endpoint;
        this.bucket = bucket;
        this.retry = new StoreRetry(bucket, DEFAULT_RETRY_BUDGET);
        StaticCredentialsProvider credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
        Region r = Region.of(region);
        this.clientFuture = CompletableFuture.supplyAsync(() -> S3Client.builder()
                .endpointOverride(endpoint)
                .region(r)
                .credentialsProvider(credentials)
                .forcePathStyle(true)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // the only retries are StoreRetry's: one policy, with a budget and the store's Retry-After
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(64)
                        .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofSeconds(60)))
                .build());
        this.presignerFuture = CompletableFuture.supplyAsync(() -> presigner(endpoint, r, credentials));
        this.publicPresignerFuture = publicEndpoint == null || publicEndpoint.equals(endpoint) ? presignerFuture
                : CompletableFuture.supplyAsync(() -> presigner(publicEndpoint, r, credentials));
    }

    /** How long each call may retry transient failures of the store (STORE_RETRY_SECONDS). */
    public Storage retryFor(Duration budget) {
        this.retry = retry.withBudget(budget);
        return this;
    }

    /** Retries with a given policy (tests: an injected ticker and sleeper). */
    Storage retryWith(StoreRetry policy) {
        this.retry = policy;
        return this;
    }

    private static S3Presigner presigner(URI endpoint, Region region, StaticCredentialsProvider credentials) {
        return S3Presigner.builder()
                .endpointOverride(endpoint)
                .region(region)
                .credentialsProvider(credentials)
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .build();
    }

    /** A presigned GET of one object for the app: signed for R2_S3_PUBLIC_ENDPOINT (the host is part of the signature). */
    public URI presignPublicGet(String key, Duration ttl) {
        return toUri(publicPresignerFuture.join().presignGetObject(p -> p.signatureDuration(ttl)
                .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toString());
    }

    /**
     * A presigned GET for the app, like {@link #presignPublicGet}, that also makes the store answer
     * with {@code Content-Type: responseContentType} ({@code response-content-type}, part of the
     * signature): a redirect to it gives the client the headers the orchestrator's relay would.
     */
    public URI presignPublicDownload(String key, Duration ttl, String responseContentType) {
        return toUri(publicPresignerFuture.join().presignGetObject(p -> p.signatureDuration(ttl)
                .getObjectRequest(g -> g.bucket(bucket).key(key).responseContentType(responseContentType))).url().toString());
    }

    public S3Client client() {
        return clientFuture.join();
    }

    private S3Presigner presigner() {
        return presignerFuture.join();
    }

    public String bucket() {
        return bucket;
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Creates the bucket unless it exists (R2_CREATE_BUCKET; compose without a second image for it). Returns true when it made it. */
    public boolean ensureBucket() {
        try {
            client().headBucket(b -> b.bucket(bucket));
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
        }
        try {
            client().createBucket(b -> b.bucket(bucket));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 409) {
                return false; // made meanwhile (another replica)
            }
            throw e;
        }
    }

    /** Checks the bucket answers (readiness). */
    public void checkBucket() {
        client().headBucket(b -> b.bucket(bucket));
    }

    public Optional<ObjectInfo> head(String key) {
        return retry.run(() -> {
            try {
                HeadObjectResponse r = client().headObject(b -> b.bucket(bucket).key(key));
                return Optional.of(new ObjectInfo(key, r.contentLength(), r.eTag(), r.contentType(), r.lastModified()));
            } catch (S3Exception e) {
                if (e instanceof NoSuchKeyException || e.statusCode() == 404) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    public boolean exists(String key) {
        return head(key).isPresent();
    }

    /**
     * Streams {@code in} into {@code key}. When the caller knows the length ({@code length} is not
     * negative) and it fits one PUT ({@value #MAX_SINGLE_PUT} bytes), the object goes up in one
     * presigned {@code PUT} straight from the stream, with no buffer: S3 stores a PUT whole or not at
     * all, so a source that fails or ends short leaves nothing behind. Otherwise see
     * {@link #put(String, InputStream, String)}. The stream is read, not closed.
     */
    public ObjectInfo put(String key, InputStream in, String contentType, long length) throws IOException {
        if (length < 0 || length > MAX_SINGLE_PUT || length < PART_SIZE) {
            return put(key, in, contentType);
        }
        Source source = new Source(in);
        URL url = presignPut(key, contentType, PART_URL_TTL).toURL();
        // the stream cannot be sent twice: a failure of the store is a 503 at once (the caller's client retries)
        retry.run(() -> {
            PresignedPut.stream(url, source, length, contentType);
            return null;
        }, false, source::failed);
        return stored(key);
    }

    /** The object just uploaded, as the store describes it; its absence is the store's failure. */
    private ObjectInfo stored(String key) {
        return head(key).orElseThrow(() -> new StoreUnavailable(bucket, "the object was missing right after its upload: " + key,
                StoreUnavailable.DEFAULT_RETRY_AFTER_SECONDS, null));
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
    public ObjectInfo put(String key, InputStream in, String contentType) throws IOException {
        byte[] buffer = new byte[PART_SIZE];
        int n = readFully(in, buffer); // a failure here is the source's: it propagates as it is
        if (n < PART_SIZE) {
            retry.run(() -> client().putObject(b -> b.bucket(bucket).key(key).contentType(contentType).contentLength((long) n),
                    RequestBody.fromInputStream(new ByteArrayInputStream(buffer, 0, n), n)));
            return stored(key);
        }
        String uploadId = retry.run(() -> client().createMultipartUpload(b -> b.bucket(bucket).key(key).contentType(contentType)).uploadId());
        ownUploads.add(uploadId);
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int partNumber = 1;
            int len = n;
            while (len > 0) {
                URL url = presignPart(key, uploadId, partNumber);
                int length = len;
                String etag = retry.run(() -> PresignedPut.part(url, buffer, length)); // from the buffer: it can be sent again
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
                partNumber++;
                len = len == PART_SIZE ? readFully(in, buffer) : 0;
            }
            retry.run(() -> client().completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())));
        } catch (IOException | RuntimeException e) {
            abortQuietly(key, uploadId, e);
            throw e;
        } finally {
            ownUploads.remove(uploadId);
        }
        return stored(key);
    }

    private URL presignPart(String key, String uploadId, int partNumber) {
        return presigner().presignUploadPart(p -> p.signatureDuration(PART_URL_TTL)
                .uploadPartRequest(u -> u.bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber))).url();
    }

    /** Opens the object, or the inclusive byte range {@code [start, end]} of it when start is not null. */
    public ResponseInputStream<GetObjectResponse> get(String key, Long start, Long end) {
        GetObjectRequest.Builder b = GetObjectRequest.builder().bucket(bucket).key(key);
        if (start != null) {
            b.range("bytes=" + start + "-" + (end == null ? "" : end));
        }
        GetObjectRequest request = b.build();
        return retry.run(() -> client().getObject(request));
    }

    /** A small object (job state) with its ETag, or empty when it does not exist. */
    public Optional<Versioned> getSmall(String key) {
        return retry.run(() -> {
            try {
                var r = client().getObjectAsBytes(b -> b.bucket(bucket).key(key));
                return Optional.of(new Versioned(r.asByteArray(), r.response().eTag()));
            } catch (S3Exception e) {
                if (e instanceof NoSuchKeyException || e.statusCode() == 404) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /**
     * Writes a small object. With {@code ifMatch} it only replaces the version with that ETag; with
     * {@code createOnly} it only creates. Returns the new ETag, or empty when the condition failed
     * (someone else wrote first).
     */
    public Optional<String> putSmall(String key, byte[] data, String contentType, String ifMatch, boolean createOnly) {
        if (ifMatch == null && !createOnly) {
            return putSmallNow(key, data, contentType, null, false);
        }
        // The embedded store (S3Proxy) checks If-Match / If-None-Match and then writes, not atomically:
        // concurrent conditional writers on one version could all win. Within this JVM (which is where
        // the embedded store and its users run) they are serialized per object; R2 and MinIO are atomic.
        synchronized (CONDITIONAL_STRIPES[Math.floorMod((endpoint + "/" + bucket + "/" + key).hashCode(), CONDITIONAL_STRIPES.length)]) {
            return putSmallNow(key, data, contentType, ifMatch, createOnly);
        }
    }

    private static final Object[] CONDITIONAL_STRIPES = new Object[256];

    static {
        for (int i = 0; i < CONDITIONAL_STRIPES.length; i++) {
            CONDITIONAL_STRIPES[i] = new Object();
        }
    }

    private Optional<String> putSmallNow(String key, byte[] data, String contentType, String ifMatch, boolean createOnly) {
        return retry.run(() -> {
            try {
                return Optional.of(client().putObject(b -> {
                    b.bucket(bucket).key(key).contentType(contentType).contentLength((long) data.length);
                    if (ifMatch != null) {
                        b.ifMatch(ifMatch);
                    }
                    if (createOnly) {
                        b.ifNoneMatch("*");
                    }
                }, RequestBody.fromBytes(data)).eTag());
            } catch (S3Exception e) {
                if (e.statusCode() == 412 || e.statusCode() == 409) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    /** Keys under a prefix (all pages). */
    public List<String> list(String prefix) {
        return listWithTimes(prefix).stream().map(Listed::key).toList();
    }

    /**
     * Aborts the multipart uploads under {@code prefixes} that were started before
     * {@code startedBefore} (a process killed in the middle of a streamed upload leaves its parts
     * behind; nobody else ever completes them). Returns how many were aborted.
     */
    public int abortMultipartUploads(List<String> prefixes, Instant startedBefore) {
        return abortMultipartUploads(prefixes, startedBefore, Set.of());
    }

    /** The multipart uploads this client has started and not yet completed or aborted. */
    public Set<String> ownUploads() {
        return Set.copyOf(ownUploads);
    }

    private final Set<String> ownUploads = ConcurrentHashMap.newKeySet();

    /** {@link #abortMultipartUploads(List, Instant)}, leaving the uploads in {@code keep} alone. */
    public int abortMultipartUploads(List<String> prefixes, Instant startedBefore, Set<String> keep) {
        int aborted = 0;
        for (String prefix : prefixes) {
            List<software.amazon.awssdk.services.s3.model.MultipartUpload> uploads = retry.run(() -> {
                List<software.amazon.awssdk.services.s3.model.MultipartUpload> all = new ArrayList<>();
                client().listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).forEach(page -> all.addAll(page.uploads()));
                return all;
            });
            for (var u : uploads) {
                if ((u.initiated() == null || u.initiated().isBefore(startedBefore)) && !keep.contains(u.uploadId()) && !ownUploads.contains(u.uploadId())) {
                    retry.run(() -> client().abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(u.key())
                            .uploadId(u.uploadId()).build()));
                    aborted++;
                }
            }
        }
        return aborted;
    }

    /** Keys under a prefix with their last-modified times (all pages; a page that fails is retried with the whole listing). */
    public List<Listed> listWithTimes(String prefix) {
        return retry.run(() -> {
            List<Listed> keys = new ArrayList<>();
            client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))
                    .contents().forEach(o -> keys.add(new Listed(o.key(), o.lastModified())));
            return keys;
        });
    }

    public record Listed(String key, Instant lastModified) {
    }

    public void delete(String key) {
        retry.run(() -> client().deleteObject(b -> b.bucket(bucket).key(key)));
    }

    /** A presigned GET of one object. */
    public URI presignGet(String key, Duration ttl) {
        return toUri(presigner().presignGetObject(p -> p.signatureDuration(ttl)
                .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toString());
    }

    /** A presigned PUT of one object; the upload must send exactly this Content-Type. */
    public URI presignPut(String key, String contentType, Duration ttl) {
        return toUri(presigner().presignPutObject(p -> p.signatureDuration(ttl)
                .putObjectRequest(o -> o.bucket(bucket).key(key).contentType(contentType))).url().toString());
    }

    private static URI toUri(String s) {
        return URI.create(s);
    }

    private void abortQuietly(String key, String uploadId, Exception cause) {
        try {
            retry.run(() -> client().abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key).uploadId(uploadId).build()));
        } catch (RuntimeException e) {
            cause.addSuppressed(e); // left to UploadJanitor
        }
    }

    /** The caller's stream, noting whether it failed: such a failure is the source's, not the store's. */
    private static final class Source extends java.io.FilterInputStream {
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

    @Override
    public void close() {
        presigner().close();
        if (publicPresignerFuture != presignerFuture) {
            publicPresignerFuture.join().close();
        }
        client().close();
    }

    /** A small object's bytes and ETag. */
    public record Versioned(byte[] data, String etag) {
    }

    /** What a HEAD tells about an object. */
    public record ObjectInfo(String key, long size, String etag, String contentType, Instant lastModified) {
    }
}
