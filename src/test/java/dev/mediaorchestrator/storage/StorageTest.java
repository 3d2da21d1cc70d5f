package dev.mediaorchestrator.storage;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static dev.mediaorchestrator.support.Put.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.EOFException;
import java.util.Arrays;

/**
 * The storage component against a real S3 server in-process (S3Proxy), twice: on two ports with
 * two bucket names, so endpoint and bucket demonstrably come from configuration.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StorageTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private Path dirA;
    private Path dirB;
    private EmbeddedS3 serverA;
    private EmbeddedS3 serverB;
    private Storage storageA;
    private Storage storageB;

    @BeforeAll
    void start() {
        dirA = TestServers.tempDir("mo-s3a");
        dirB = TestServers.tempDir("mo-s3b");
        serverA = EmbeddedS3.start(dirA, 0);
        serverB = EmbeddedS3.start(dirB, TestServers.freePort());
        serverA.createBucket("vidgen-render");
        serverB.createBucket("other-bucket-" + Long.toHexString(System.nanoTime()));
        storageA = new Storage(serverA.endpoint(), serverA.accessKey(), serverA.secretKey(), "auto", "vidgen-render");
        storageB = new Storage(serverB.endpoint(), serverB.accessKey(), serverB.secretKey(), "auto",
                dirB.toFile().list()[0]);
    }

    @AfterAll
    void stop() {
        storageA.close();
        storageB.close();
        serverA.close();
        serverB.close();
        TestServers.deleteRecursively(dirA);
        TestServers.deleteRecursively(dirB);
    }

    List<Storage> stores() {
        return List.of(storageA, storageB);
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("stores")
    void smallPutHeadAndRangedGet(Storage s) throws Exception {
        byte[] data = random(1000, 1);
        Storage.ObjectInfo info = s.put("t/small.bin", new ByteArrayInputStream(data), "application/octet-stream");
        assertEquals(1000, info.size());
        assertEquals("application/octet-stream", s.head("t/small.bin").orElseThrow().contentType());
        try (InputStream in = s.get("t/small.bin", 10L, 19L)) {
            byte[] part = in.readAllBytes();
            assertArrayEquals(Arrays.copyOfRange(data, 10, 20), part);
        }
        try (InputStream in = s.get("t/small.bin", null, null)) {
            assertArrayEquals(data, in.readAllBytes());
        }
        assertTrue(s.head("t/missing.bin").isEmpty());
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("stores")
    void largeStreamOfUnknownLengthGoesUpInPartsByteIdentical(Storage s) throws Exception {
        long size = 2L * Storage.PART_SIZE + 12345;
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        Storage.ObjectInfo info = s.put("t/large.bin", new GeneratedStream(size, 7, sent, -1), "video/mp4");
        assertEquals(size, info.size());
        assertTrue(info.etag().matches("\"?[0-9a-fA-F]+-3\"?"), "a multipart upload of 3 parts: " + info.etag());
        assertEquals(HexFormat.of().formatHex(sent.digest()), sha256(s, "t/large.bin"));
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("stores")
    void aSourceThatFailsMidwayLeavesNoObject(Storage s) {
        long size = 3L * Storage.PART_SIZE;
        long failAt = Storage.PART_SIZE + 100;
        assertThrows(IOException.class, () -> s.put("t/broken.bin",
                new GeneratedStream(size, 3, null, failAt), "video/mp4"));
        assertFalse(s.exists("t/broken.bin"));
        assertThrows(IOException.class, () -> s.put("t/broken-small.bin",
                new GeneratedStream(1000, 3, null, 500), "video/mp4"));
        assertFalse(s.exists("t/broken-small.bin"));
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("stores")
    void aStreamOfKnownLengthGoesUpInOnePutByteIdentical(Storage s) throws Exception {
        long size = Storage.PART_SIZE + 4321;
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        Storage.ObjectInfo info = s.put("t/known.bin", new GeneratedStream(size, 11, sent, -1), "video/mp4", size);
        assertEquals(size, info.size());
        assertEquals("video/mp4", info.contentType());
        assertEquals(HexFormat.of().formatHex(sent.digest()), sha256(s, "t/known.bin"));
        // one PUT, not a multipart upload: the ETag of a multipart object ends in "-<parts>"
        assertFalse(info.etag().matches("\"?[0-9a-fA-F]+-\\d+\"?"), info.etag());
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("stores")
    void aStreamOfKnownLengthThatEndsShortOrFailsLeavesNoObject(Storage s) {
        long size = 2L * Storage.PART_SIZE;
        assertThrows(EOFException.class, () -> s.put("t/short.bin",
                new GeneratedStream(size - 1000, 5, null, -1), "video/mp4", size));
        assertFalse(s.exists("t/short.bin"));
        assertThrows(IOException.class, () -> s.put("t/failing.bin",
                new GeneratedStream(size, 5, null, Storage.PART_SIZE + 7), "video/mp4", size));
        assertFalse(s.exists("t/failing.bin"));
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("stores")
    void presignedGetAndPut(Storage s) throws Exception {
        byte[] data = random(5000, 2);
        s.put("t/get.bin", new ByteArrayInputStream(data), "application/octet-stream");
        URI get = s.presignGet("t/get.bin", Duration.ofMinutes(5));
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(get).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertArrayEquals(data, r.body());

        URI put = s.presignPut("t/put.mp4", "video/mp4", Duration.ofMinutes(5));
        assertEquals(200, put(put, "video/mp4", data));
        assertEquals(data.length, s.head("t/put.mp4").orElseThrow().size());
        assertEquals(403, put(put, "application/octet-stream", data), "another Content-Type than signed");
        URI otherKey = URI.create(put.toString().replace("t/put.mp4", "t/other.mp4"));
        assertEquals(403, put(otherKey, "video/mp4", data), "another key");
        assertFalse(s.exists("t/other.mp4"));
        URI shortLived = s.presignPut("t/late.mp4", "video/mp4", Duration.ofSeconds(1));
        Thread.sleep(2100);
        assertEquals(403, put(shortLived, "video/mp4", data), "after expiry");
        assertFalse(s.exists("t/late.mp4"));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A pseudo-random stream of a given size that never exists whole in memory; can fail at an offset. */
    private static String sha256(Storage s, String key) throws Exception {
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        try (InputStream in = s.get(key, null, null)) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                got.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(got.digest());
    }

    static final class GeneratedStream extends InputStream {
        private final long size;
        private final Random random;
        private final MessageDigest digest;
        private final long failAt;
        private long pos;

        GeneratedStream(long size, long seed, MessageDigest digest, long failAt) {
            this.size = size;
            this.random = new Random(seed);
            this.digest = digest;
            this.failAt = failAt;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failAt >= 0 && pos >= failAt) {
                throw new IOException("source failed at " + pos);
            }
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(Math.min(len, 65536), size - pos);
            if (failAt >= 0) {
                n = (int) Math.min(n, Math.max(1, failAt - pos));
            }
            byte[] chunk = new byte[n];
            random.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, off, n);
            if (digest != null) {
                digest.update(chunk);
            }
            pos += n;
            return n;
        }
    }
}
