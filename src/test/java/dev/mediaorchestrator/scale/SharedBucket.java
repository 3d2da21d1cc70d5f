package dev.mediaorchestrator.scale;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.HttpResponse;
import org.gaul.s3proxy.blobstore.HttpResponseException;
import org.gaul.s3proxy.blobstore.KeyNotFoundException;
import org.gaul.s3proxy.blobstore.domain.Blob;
import org.gaul.s3proxy.blobstore.domain.BlobMetadata;
import org.gaul.s3proxy.blobstore.options.CreateContainerOptions;
import org.gaul.s3proxy.blobstore.options.GetOptions;
import org.gaul.s3proxy.blobstore.options.ListContainerOptions;
import org.gaul.s3proxy.blobstore.options.PutOptions;
import org.gaul.s3proxy.blobstore.domain.PageSet;
import org.gaul.s3proxy.blobstore.domain.StorageMetadata;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * One bucket for several orchestrator processes, as R2 or MinIO is in production: S3Proxy over a
 * directory, in the process that runs the scale-out (so killing an orchestrator does not take the
 * bucket with it). S3Proxy takes {@code If-None-Match: *} atomically (its filesystem store links the
 * new file), but checks {@code If-Match} in its HTTP handler before it writes, not atomically; the
 * orchestrators serialize their conditional writes only within one JVM ({@code Storage.putSmall}),
 * so two orchestrator processes could both win one version (the first run of ScaleOutIT saw two
 * different terminal events for one job). Here the store checks {@code If-Match} again and writes
 * as one step, per key, which makes conditional writes atomic for every client, as R2's and
 * MinIO's are.
 */
final class SharedBucket implements AutoCloseable {
    static final String BUCKET = "vidgen-render";
    private final S3Proxy proxy;
    private final BlobStore store;
    final String accessKey = "scale-" + UUID.randomUUID().toString().substring(0, 8);
    final String secretKey = UUID.randomUUID().toString();

    SharedBucket(Path dir, int port) throws Exception {
        Files.createDirectories(dir);
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().normalize().toString());
        store = new Observed(new AtomicConditionalWrites(BlobStores.create("filesystem", props)));
        proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey).ignoreUnknownHeaders(true).build();
        proxy.start();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the bucket did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        store.createContainer(BUCKET, CreateContainerOptions.NONE);
    }

    /** Requests by type ({@code HEAD}, {@code GET}, {@code LIST}, {@code PUT}, {@code DELETE}) since the start or the last {@link #resetCounts}. */
    final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    /** Told of each request (type, key or prefix) before it is served: a test may hold it (a slow store). */
    volatile BiConsumer<String, String> beforeRequest = (type, key) -> { };

    long count(String type) {
        LongAdder a = counts.get(type);
        return a == null ? 0 : a.sum();
    }

    void resetCounts() {
        counts.clear();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception ignored) {
            // best effort
        } finally {
            store.close();
        }
    }

    /** Counts each request by type and tells {@link #beforeRequest} of it. */
    private final class Observed extends ForwardingBlobStore {
        Observed(BlobStore delegate) {
            super(delegate);
        }

        private void seen(String type, String key) {
            counts.computeIfAbsent(type, t -> new LongAdder()).increment();
            beforeRequest.accept(type, key);
        }

        @Override
        public BlobMetadata blobMetadata(String container, String name) {
            seen("HEAD", name);
            return super.blobMetadata(container, name);
        }

        @Override
        public Blob getBlob(String container, String name, GetOptions options) {
            seen("GET", name);
            return super.getBlob(container, name, options);
        }

        @Override
        public PageSet<? extends StorageMetadata> list(String container, ListContainerOptions options) {
            seen("LIST", options == null ? null : options.prefix());
            return super.list(container, options);
        }

        @Override
        public String putBlob(String container, Blob blob, PutOptions options) {
            seen("PUT", blob.getMetadata().name());
            return super.putBlob(container, blob, options);
        }

        @Override
        public void removeBlob(String container, String name) {
            seen("DELETE", name);
            super.removeBlob(container, name);
        }
    }

    /** Conditional puts of one key, one at a time (the check and the write as one step). */
    private static final class AtomicConditionalWrites extends ForwardingBlobStore {
        private final Object[] stripes = new Object[256];

        AtomicConditionalWrites(BlobStore delegate) {
            super(delegate);
            for (int i = 0; i < stripes.length; i++) {
                stripes[i] = new Object();
            }
        }

        @Override
        public String putBlob(String container, Blob blob, PutOptions options) {
            if (options == null || (options.ifMatch() == null && options.ifNoneMatch() == null)) {
                return super.putBlob(container, blob, options);
            }
            String name = blob.getMetadata().name();
            synchronized (stripes[Math.floorMod((container + "/" + name).hashCode(), stripes.length)]) {
                if (options.ifMatch() != null) {
                    BlobMetadata current;
                    try {
                        current = delegate().blobMetadata(container, name);
                    } catch (KeyNotFoundException e) {
                        current = null;
                    }
                    if (current == null || !unquoted(options.ifMatch()).equals(unquoted(current.eTag()))) {
                        throw new HttpResponseException(new HttpResponse(412));
                    }
                }
                return super.putBlob(container, blob, options);
            }
        }

        private static String unquoted(String etag) {
            return etag == null ? "" : etag.replace("\"", "").trim();
        }
    }
}
