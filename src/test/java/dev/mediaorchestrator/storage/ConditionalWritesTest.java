package dev.mediaorchestrator.storage;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;

/**
 * The conditional writes job state rests on, against the embedded store: If-None-Match: * creates
 * once, If-Match replaces only the version read, and concurrent writers on one version: exactly one wins.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConditionalWritesTest {
    private Path dir;
    private EmbeddedS3 s3;
    private Storage storage;

    @BeforeAll
    void start() {
        dir = TestServers.tempDir("mo-cond");
        s3 = dev.mediaorchestrator.support.TestServers.embeddedS3(dir);
        s3.createBucket("cond");
        storage = new Storage(s3.endpoint(), s3.accessKey(), s3.secretKey(), "auto", "cond");
    }

    @AfterAll
    void stop() {
        storage.close();
        s3.close();
        TestServers.deleteRecursively(dir);
    }

    @Test
    void createOnlyAndIfMatch() {
        String v1 = storage.putSmall("k1", "1".getBytes(), "application/json", null, true).orElseThrow();
        assertEquals(Optional.empty(), storage.putSmall("k1", "x".getBytes(), "application/json", null, true), "exists");
        assertEquals(Optional.empty(), storage.putSmall("k1", "x".getBytes(), "application/json", "\"not-it\"", false), "another version");
        String v2 = storage.putSmall("k1", "2".getBytes(), "application/json", v1, false).orElseThrow();
        assertEquals(Optional.empty(), storage.putSmall("k1", "3".getBytes(), "application/json", v1, false), "the version was replaced");
        assertEquals("2", new String(storage.getSmall("k1").orElseThrow().data()));
        assertEquals(v2, storage.getSmall("k1").orElseThrow().etag());
    }

    @Test
    void concurrentWritersOnOneVersionOneWins() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 10; round++) {
                String key = "race" + round;
                String v = storage.putSmall(key, "0".getBytes(), "application/json", null, true).orElseThrow();
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Boolean>> all = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    byte[] mine = ("w" + i).getBytes();
                    all.add(pool.submit(() -> {
                        go.await();
                        return storage.putSmall(key, mine, "application/json", v, false).isPresent();
                    }));
                }
                go.countDown();
                int won = 0;
                for (Future<Boolean> f : all) {
                    won += f.get() ? 1 : 0;
                }
                assertEquals(1, won, "round " + round);
                CountDownLatch go2 = new CountDownLatch(1);
                List<Future<Boolean>> creates = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    creates.add(pool.submit(() -> {
                        go2.await();
                        return storage.putSmall(key + "-new", "c".getBytes(), "application/json", null, true).isPresent();
                    }));
                }
                go2.countDown();
                int created = 0;
                for (Future<Boolean> f : creates) {
                    created += f.get() ? 1 : 0;
                }
                assertEquals(1, created, "create round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLeftOverMultipartUploadIsAborted() {
        var client = storage.client();
        String id = client.createMultipartUpload(b -> b.bucket("cond").key("inputs/videos/left.mp4")).uploadId();
        client.uploadPart(b -> b.bucket("cond").key("inputs/videos/left.mp4").uploadId(id).partNumber(1),
                software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[1024]));
        assertEquals(0, storage.abortMultipartUploads(List.of("inputs/"), Instant.now().minusSeconds(3600)), "a fresh one is kept");
        assertEquals(1, storage.abortMultipartUploads(List.of("inputs/", "outputs/"), Instant.now().plusSeconds(1)));
        assertEquals(0, client.listMultipartUploads(b -> b.bucket("cond")).uploads().size());
    }

    @Test
    void anUploadInProgressHereIsNotTakenForALeftOver() throws Exception {
        CountDownLatch firstPartSent = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        InputStream slow = new InputStream() {
            long left = Storage.PART_SIZE + 1024L * 1024;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 1024L * 1024 && firstPartSent.getCount() > 0) {
                    firstPartSent.countDown(); // the first 8 MiB are read: the upload has begun
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                left -= n;
                return n;
            }
        };
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Storage.ObjectInfo> put = pool.submit(() -> storage.put("inputs/videos/mine.mp4", slow, "video/mp4"));
            firstPartSent.await();
            Thread.sleep(500);
            assertEquals(1, storage.ownUploads().size(), "the upload is under way");
            assertEquals(0, storage.abortMultipartUploads(List.of("inputs/"), Instant.MAX), "its own upload is kept");
            go.countDown();
            assertEquals(Storage.PART_SIZE + 1024L * 1024, put.get().size());
            assertEquals(0, storage.ownUploads().size());
        } finally {
            go.countDown();
            pool.shutdownNow();
        }
    }
}
