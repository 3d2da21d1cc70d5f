package dev.mediaorchestrator.storage;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.options.CreateContainerOptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * An S3 server in this process: S3Proxy over a directory (its "filesystem" store), bound to
 * 127.0.0.1 with credentials made up at start. The service then talks to it through the same S3
 * client code as to R2 or MinIO.
 */
public final class EmbeddedS3 implements AutoCloseable {
    private final S3Proxy proxy;
    private final BlobStore store;
    private final String accessKey;
    private final String secretKey;

    private EmbeddedS3(S3Proxy proxy, BlobStore store, String accessKey, String secretKey) {
        this.proxy = proxy;
        this.store = store;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** Starts the server over {@code dir} on 127.0.0.1:{@code port} (0 picks a free port) and waits for it. */
    public static EmbeddedS3 start(Path dir, int port) {
        return starting(dir, port).await();
    }

    /**
     * Starts the server in the background (it takes a moment to start, which
     * the service overlaps with its own start). The endpoint and credentials are known at once.
     */
    public static Starting starting(Path dir, int port) {
        return starting(dir, port, "local-" + random(8), random(24));
    }

    /** As {@link #starting(Path, int)} with given credentials (stable ones keep presigned URLs valid across restarts). */
    public static Starting starting(Path dir, int port, String accessKey, String secretKey) {
        int chosen = port != 0 ? port : freePort();
        CompletableFuture<EmbeddedS3> future = CompletableFuture.supplyAsync(
                () -> startNow(dir, chosen, accessKey, secretKey), r -> new Thread(r, "embedded-s3-start").start());
        return new Starting(URI.create("http://127.0.0.1:" + chosen), accessKey, secretKey, future);
    }

    private static EmbeddedS3 startNow(Path dir, int port, String accessKey, String secretKey) {
        try {
            Files.createDirectories(dir);
            Properties props = new Properties();
            props.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().normalize().toString());
            BlobStore store = BlobStores.create("filesystem", props);
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(store)
                    .endpoint(URI.create("http://127.0.0.1:" + port))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                    .ignoreUnknownHeaders(true)
                    .build();
            proxy.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("embedded S3 server did not start: " + proxy.getState());
                }
                Thread.sleep(10);
            }
            return new EmbeddedS3(proxy, store, accessKey, secretKey);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create embedded S3 directory " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting embedded S3", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("embedded S3 server failed to start on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
    }

    /** A server being started: where it will answer, and a way to wait for it. */
    public record Starting(URI endpoint, String accessKey, String secretKey, CompletableFuture<EmbeddedS3> future) {
        public EmbeddedS3 await() {
            try {
                return future.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for the embedded S3 server", e);
        }
    }

    /** Creates a bucket in the store behind the server (no S3 location constraint involved). */
    public void createBucket(String bucket) {
        store.createContainer(bucket, CreateContainerOptions.NONE);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public int port() {
        return proxy.getPort();
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            // stopping is best effort
        } finally {
            store.close();
        }
    }

    private static String random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
