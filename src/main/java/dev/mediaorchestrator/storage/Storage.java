package dev.mediaorchestrator.storage;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

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
    private final ObjectUploads uploads = new ObjectUploads(this);
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

    /** The retry policy every call goes through. */
    StoreRetry retry() {
        return retry;
    }

    S3Presigner presigner() {
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
     * Streams {@code in} into {@code key}, in one PUT when the caller knows the length and it is at
     * least a part, else in parts ({@link ObjectUploads}). A failure of the caller's stream is
     * rethrown as it came; the store's is {@link StoreUnavailable}. The stream is read, not closed.
     */
    public ObjectInfo put(String key, InputStream in, String contentType, long length) throws IOException {
        return uploads.put(key, in, contentType, length);
    }

    /** {@link #put(String, InputStream, String, long)} of unknown length: one PUT up to a part, else a multipart upload. */
    public ObjectInfo put(String key, InputStream in, String contentType) throws IOException {
        return uploads.put(key, in, contentType);
    }

    /** The object just uploaded, as the store describes it; its absence is the store's failure. */
    ObjectInfo stored(String key) {
        return head(key).orElseThrow(() -> new StoreUnavailable(bucket, "the object was missing right after its upload: " + key,
                StoreUnavailable.DEFAULT_RETRY_AFTER_SECONDS, null));
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
        return uploads.abortMultipartUploads(prefixes, startedBefore, Set.of());
    }

    /** {@link #abortMultipartUploads(List, Instant)}, leaving the uploads in {@code keep} alone. */
    public int abortMultipartUploads(List<String> prefixes, Instant startedBefore, Set<String> keep) {
        return uploads.abortMultipartUploads(prefixes, startedBefore, keep);
    }

    /** The multipart uploads this client has started and not yet completed or aborted. */
    public Set<String> ownUploads() {
        return uploads.ownUploads();
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
