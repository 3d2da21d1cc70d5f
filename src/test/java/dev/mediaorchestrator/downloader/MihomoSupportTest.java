package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mediaorchestrator.support.IntegrationTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@IntegrationTest
class MihomoSupportTest {

    @Test
    void aMissingBinaryIsAClearError(@TempDir Path dir) {
        Path missing = dir.resolve("mihomo");
        MihomoSupport.MihomoNotFoundException e = assertThrows(MihomoSupport.MihomoNotFoundException.class,
                () -> MihomoSupport.requireBinary(missing.toString()));
        assertEquals("mihomo not found at " + missing, e.getMessage());

        e = assertThrows(MihomoSupport.MihomoNotFoundException.class,
                () -> MihomoSupport.requireBinary("mihomo-not-installed", dir.toString()));
        assertEquals("mihomo not found at mihomo-not-installed (searched PATH)", e.getMessage());
    }

    @Test
    void aFileThatIsNotExecutableIsNotMihomo(@TempDir Path dir) throws Exception {
        Path notExec = Files.writeString(dir.resolve("mihomo"), "#!/bin/sh\n");
        MihomoSupport.MihomoNotFoundException e = assertThrows(MihomoSupport.MihomoNotFoundException.class,
                () -> MihomoSupport.requireBinary(notExec.toString()));
        assertTrue(e.getMessage().startsWith("mihomo not found at " + notExec), e.getMessage());
    }

    @Test
    void findsTheBinaryByPathOrOnPath(@TempDir Path dir) throws Exception {
        Path bin = dir.resolve("mihomo");
        Files.writeString(bin, "#!/bin/sh\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(bin, MihomoSupport.requireBinary(bin.toString()));
        assertEquals(bin, MihomoSupport.requireBinary("mihomo", "/nonexistent:" + dir));
        assertEquals(bin, MihomoSupport.requireBinary(" ", dir.toString()), "blank means the default name");
    }

    @Test
    void commandLine() {
        assertEquals(List.of("/usr/local/bin/mihomo", "-d", "/tmp/job/mihomo", "-f", "/tmp/job/mihomo/config.yaml"),
                MihomoSupport.command(Path.of("/usr/local/bin/mihomo"), Path.of("/tmp/job/mihomo"),
                        Path.of("/tmp/job/mihomo/config.yaml")));
    }

    @Test
    void writesThePlansConfigReadableByTheOwnerOnly(@TempDir Path dir) throws Exception {
        DownloadOptions o = DownloadOptions.parse(Map.of("url", "https://a.example/v",
                "proxy", Map.of("nodeUrl", ClashConfigBuilderTest.TROJAN_GRPC)));
        ProxyPlan plan = ProxyPlan.resolve(o, ProxySettings.defaults());
        Path config = MihomoSupport.writeConfig(dir.resolve("mihomo"), plan.clashConfigYaml().orElseThrow());
        assertEquals(dir.resolve("mihomo").resolve("config.yaml"), config);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
        assertEquals(plan.clashConfig().orElseThrow(), ClashConfigBuilder.parseYaml(Files.readString(config), "config"));
        // written again (a retry) replaces it
        MihomoSupport.writeConfig(dir.resolve("mihomo"), "port: 1\n");
        assertEquals("port: 1\n", Files.readString(config));
    }

    /** A loopback port that nothing listens on (just released). */
    /** Sockets holding the ports of {@link #closedPort()} until the JVM ends. */
    private static final List<Socket> HELD = new CopyOnWriteArrayList<>();

    /**
     * A port nothing listens on, and nothing can while the tests run: it stays bound by a socket
     * that never listens (a port freed after a probe could be taken by a parallel test's server,
     * and the "closed" port then answered: this test failed so once in a full run).
     */
    private static int closedPort() throws Exception {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        HELD.add(s);
        return s.getLocalPort();
    }

    @Test
    void waitForPortReturnsOnceSomethingListens() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            MihomoSupport.waitForPort("127.0.0.1", s.getLocalPort(), Instant.now().plusSeconds(5));
        }
    }

    @Test
    void waitForPortGivesUpAtTheDeadline() throws Exception {
        int port = closedPort();
        Instant start = Instant.now();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MihomoSupport.waitForPort("127.0.0.1", port, Instant.now().plusMillis(400)));
        long took = Duration.between(start, Instant.now()).toMillis();
        assertTrue(took >= 350 && took < 3000, "took " + took + " ms");
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    }

    @Test
    void waitForPortStopsAtOnceWhenTheProcessHasExited() throws Exception {
        int port = closedPort();
        Instant start = Instant.now();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MihomoSupport.waitForPort("127.0.0.1", port, Instant.now().plusSeconds(30), () -> false));
        assertTrue(Duration.between(start, Instant.now()).toMillis() < 3000);
        assertEquals("mihomo exited before listening on 127.0.0.1:" + port, e.getMessage());
    }
}
