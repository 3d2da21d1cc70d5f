package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The egress guard on its own, spoken to as yt-dlp speaks to a proxy: {@code CONNECT} tunnels
 * (what every https download is), its credential, its bound on connections, and that closing it
 * ends what is open. The plain-HTTP path with the real yt-dlp is {@link DownloaderEgressGuardTest}.
 */
@IntegrationTest
class EgressGuardTest {
    private final ExecutorService threads = Pools.PLAIN.cached("egress-test");
    private final StubHttpServer site = new StubHttpServer().answer("/", 200, "{\"ok\":true}");
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        site.close();
        threads.shutdownNow();
    }

    /** A guard that takes the site's loopback port for a public address. */
    private EgressGuard guard(EgressUpstream upstream) throws IOException {
        EgressGuard g = EgressGuard.start("job_test", EgressPolicy.parse("127.0.0.1:" + site.base().getPort()),
                PrivateNetworks.SYSTEM, upstream, threads);
        toClose.add(g);
        return g;
    }

    private static Socket connectTo(EgressGuard g) throws IOException {
        URI proxy = URI.create(g.proxyUrl());
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.getPort());
        s.setSoTimeout(30_000);
        return s;
    }

    private static String authorization(EgressGuard g) {
        return "Basic " + Base64.getEncoder().encodeToString(URI.create(g.proxyUrl()).getUserInfo().getBytes(StandardCharsets.UTF_8));
    }

    /** Sends {@code CONNECT authority} and returns the status line of the answer. */
    private static String connect(Socket s, String authority, String authorization) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("CONNECT " + authority + " HTTP/1.0\r\n" + (authorization == null ? "" : "Proxy-Authorization: " + authorization + "\r\n")
                + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        HttpHead head = HttpHead.read(s.getInputStream(), 65536);
        return head == null ? "" : head.startLine();
    }

    private String getThroughTunnel(Socket s) throws IOException {
        s.getOutputStream().write(("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aTunnelToAnAllowedAddressCarriesBytesBothWays() throws Exception {
        EgressGuard g = guard(null);
        try (Socket s = connectTo(g)) {
            assertEquals("HTTP/1.1 200 Connection established", connect(s, "127.0.0.1:" + site.base().getPort(), authorization(g)));
            String answer = getThroughTunnel(s);
            assertTrue(answer.startsWith("HTTP/1.1 200") && answer.endsWith("{\"ok\":true}"), answer);
        }
        assertEquals(1, site.requests("/x").size());
        assertTrue(g.refusal().isEmpty());
    }

    @Test
    void aTunnelToLoopbackOrMetadataIsRefusedAndNamed() throws Exception {
        EgressGuard g = guard(null);
        try (StubHttpServer other = new StubHttpServer(); Socket s = connectTo(g)) {
            assertEquals("HTTP/1.1 403 Forbidden by egress guard", connect(s, "127.0.0.1:" + other.base().getPort(), authorization(g)));
            assertEquals(List.of(), other.requests);
        }
        try (Socket s = connectTo(g)) {
            assertEquals("HTTP/1.1 403 Forbidden by egress guard", connect(s, "169.254.169.254:80", authorization(g)));
        }
        assertTrue(g.refusal().orElseThrow().startsWith("connection refused by the egress guard: 127.0.0.1:"), g.refusal().toString());
    }

    @Test
    void aRequestWithoutTheJobsCredentialIs407() throws Exception {
        EgressGuard g = guard(null);
        try (Socket s = connectTo(g)) {
            assertEquals("HTTP/1.1 407 Proxy Authentication Required", connect(s, "127.0.0.1:" + site.base().getPort(), null));
        }
        try (Socket s = connectTo(g)) {
            assertEquals("HTTP/1.1 407 Proxy Authentication Required", connect(s, "127.0.0.1:" + site.base().getPort(),
                    "Basic " + Base64.getEncoder().encodeToString("job:guess".getBytes(StandardCharsets.UTF_8))));
        }
        assertEquals(List.of(), site.requests);
    }

    @Test
    void connectionsBeyondTheBoundAre503AndCloseEndsTheOpenOnes() throws Exception {
        EgressGuard g = guard(null);
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < EgressGuard.MAX_CONNECTIONS; i++) {
                Socket s = connectTo(g);
                held.add(s);
                assertEquals("HTTP/1.1 200 Connection established", connect(s, "127.0.0.1:" + site.base().getPort(), authorization(g)));
            }
            try (Socket extra = connectTo(g)) {
                HttpHead answer = HttpHead.read(extra.getInputStream(), 65536);
                assertEquals(503, answer.status(), answer.startLine());
            }
            g.close();
            for (Socket s : held) {
                InputStream in = s.getInputStream();
                assertEquals(-1, in.read(), "the tunnel was closed with the guard");
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /** With an http proxy behind (tinyproxy), a tunnel goes through it, asked for by name. */
    @Test
    void aTunnelGoesThroughTheHttpProxyBehind() throws Exception {
        TestMedia.requireOnPath("tinyproxy");
        Path dir = TestServers.tempDir("egress-tinyproxy");
        try (DownloaderRouteTest.TinyProxy proxy = new DownloaderRouteTest.TinyProxy(dir, TestServers.freePort(), "user", "pass-1")) {
            EgressGuard g = guard(EgressUpstream.parse("http://user:pass-1@127.0.0.1:" + proxy.port));
            try (Socket s = connectTo(g)) {
                assertEquals("HTTP/1.1 200 Connection established", connect(s, "127.0.0.1:" + site.base().getPort(), authorization(g)));
                assertTrue(getThroughTunnel(s).endsWith("{\"ok\":true}"));
            }
            assertTrue(proxy.log().contains("CONNECT 127.0.0.1:" + site.base().getPort()), proxy.log());
        } finally {
            TestServers.deleteRecursively(dir);
        }
    }
}
