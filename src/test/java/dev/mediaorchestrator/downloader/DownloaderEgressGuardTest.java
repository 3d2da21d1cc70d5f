package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28, the egress guard: with {@code DOWNLOADER_ALLOW_PRIVATE_NETWORKS=false}, what yt-dlp
 * finds on its way (a redirect, a {@code <video src>} in a page, a name whose DNS answer changes
 * after the check) cannot take it to a private address: the loopback "secret" server sees no
 * request and the job fails naming the refused address (real yt-dlp).
 *
 * <p>The "public" site has to be reachable from here, so it is a loopback server too, given the
 * role of a public site by {@code DOWNLOADER_EGRESS_ALLOW=127.0.0.1:<its port>} (the operator's
 * list of non-public addresses the downloader may reach; every other loopback port stays
 * refused). The rebinding name is {@code localhost} with the runner's DNS answers chosen by the
 * test: a public address (TEST-NET-3) the first time, loopback after; yt-dlp itself would resolve
 * it to loopback, which is what made it get through before the guard.
 */
@IntegrationTest
class DownloaderEgressGuardTest {
    @TempDir
    static Path media;
    static Path clip;

    @BeforeAll
    static void makeClip() {
        for (String tool : List.of("yt-dlp", "ffmpeg", "tinyproxy")) {
            TestMedia.requireOnPath(tool);
        }
        clip = TestMedia.makeClip(media, "clip.mp4", "320x180", 2);
    }

    /** {@code site} serves the clip at {@code /clip.mp4}, recording each request. */
    private static void serveClip(StubHttpServer site) {
        site.on("/clip.mp4", ex -> {
            site.record(ex);
            StubHttpServer.respond(ex, 200, "video/mp4", Files.readAllBytes(clip));
        });
    }

    /** The loopback server that must never be reached: it serves a clip, as an internal service would. */
    private static StubHttpServer secret() {
        StubHttpServer s = new StubHttpServer();
        s.on("/", ex -> {
            s.record(ex);
            StubHttpServer.respond(ex, 200, "video/mp4", Files.readAllBytes(clip));
        });
        return s;
    }

    /** The downloader alone with private networks off and {@code site} taken for a public address. */
    private static DownloaderRouteTest.Rig rig(StubHttpServer site, Map<String, String> more) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("DOWNLOADER_ALLOW_PRIVATE_NETWORKS", "false",
                "DOWNLOADER_EGRESS_ALLOW", "127.0.0.1:" + site.base().getPort(), "RUNNER_MAX_CONCURRENCY", "4"));
        env.putAll(more);
        return new DownloaderRouteTest.Rig(env, clip);
    }

    /** {@link #rig}, with the job's proxy on loopback port {@code proxyPort} allowed too (an internal proxy the operator lists). */
    private static DownloaderRouteTest.Rig rigWithProxy(StubHttpServer site, int proxyPort) throws Exception {
        return rig(site, Map.of("DOWNLOADER_EGRESS_ALLOW", "127.0.0.1:" + site.base().getPort() + ",127.0.0.1:" + proxyPort));
    }

    /** The job failed naming the refused address: {@code what} is e.g. "127.0.0.1:8080 is" or "localhost:8080 resolves to 127.0.0.1,". */
    private static void assertRefused(Map<String, Object> terminal, String what) {
        assertEquals("failed", terminal.get("status"), terminal.toString());
        assertEquals("connection refused by the egress guard: " + what + " a loopback address; downloads from private networks"
                + " are off (DOWNLOADER_ALLOW_PRIVATE_NETWORKS=true turns them on)", terminal.get("error"));
    }

    @Test
    void aRedirectToLoopbackIsRefused() throws Exception {
        try (StubHttpServer secret = secret(); StubHttpServer site = new StubHttpServer()) {
            String target = secret.base() + "/secret.mp4";
            site.on("/go", ex -> {
                site.record(ex);
                ex.getResponseHeaders().set("location", target);
                StubHttpServer.respond(ex, 302, null, new byte[0]);
            });
            try (DownloaderRouteTest.Rig rig = rig(site, Map.of())) {
                Map<String, Object> terminal = rig.awaitTerminal(rig.render(Map.of("url", site.base() + "/go")));
                assertRefused(terminal, "127.0.0.1:" + secret.base().getPort() + " is");
                assertEquals(1, site.requests("/go").size(), "the public site was reached: " + site.requests);
                assertEquals(List.of(), secret.requests, "the loopback server saw no request");
                assertTrue(rig.uploads.requests.isEmpty(), "nothing was uploaded");
                rig.awaitWorkDirEmpty();
            }
        }
    }

    @Test
    void aPageWhoseVideoPointsAtLoopbackIsRefused() throws Exception {
        try (StubHttpServer secret = secret(); StubHttpServer site = new StubHttpServer()) {
            String page = "<!doctype html><html><head><title>page</title></head><body><video src=\"" + secret.base()
                    + "/secret.mp4\"></video></body></html>";
            site.on("/watch.html", ex -> {
                site.record(ex);
                StubHttpServer.respond(ex, 200, "text/html", page.getBytes(StandardCharsets.UTF_8));
            });
            try (DownloaderRouteTest.Rig rig = rig(site, Map.of())) {
                Map<String, Object> terminal = rig.awaitTerminal(rig.render(Map.of("url", site.base() + "/watch.html")));
                assertRefused(terminal, "127.0.0.1:" + secret.base().getPort() + " is");
                assertEquals(1, site.requests("/watch.html").size(), "the page was read: " + site.requests);
                assertEquals(List.of(), secret.requests, "the loopback server saw no request");
                rig.awaitWorkDirEmpty();
            }
        }
    }

    @Test
    void aNameThatAnswersPublicThenLoopbackIsRefusedAtTheConnection() throws Exception {
        try (StubHttpServer secret = secret(); StubHttpServer site = new StubHttpServer();
             DownloaderRouteTest.Rig rig = rig(site, Map.of())) {
            AtomicInteger lookups = rebindLocalhost(rig);
            int port = secret.base().getPort();
            Map<String, Object> terminal = rig.awaitTerminal(rig.render(Map.of("url", "http://localhost:" + port + "/secret.mp4")));
            assertRefused(terminal, "localhost:" + port + " resolves to 127.0.0.1,");
            assertEquals(2, lookups.get(), "one lookup for the check before yt-dlp, one by the guard for the connection");
            assertEquals(List.of(), secret.requests, "the loopback server saw no request");
            rig.awaitWorkDirEmpty();
        }
    }

    /**
     * A user's proxy is chained behind the guard: a public download goes through both, and a
     * redirect to loopback is refused before anything reaches the proxy.
     */
    @Test
    void theJobsProxyIsChainedBehindTheGuard() throws Exception {
        try (StubHttpServer secret = secret(); StubHttpServer site = new StubHttpServer()) {
            serveClip(site);
            site.on("/go", ex -> {
                site.record(ex);
                ex.getResponseHeaders().set("location", secret.base() + "/secret.mp4");
                StubHttpServer.respond(ex, 302, null, new byte[0]);
            });
            int proxyPort = TestServers.freePort();
            try (DownloaderRouteTest.Rig rig = rigWithProxy(site, proxyPort);
                 DownloaderRouteTest.TinyProxy proxy = new DownloaderRouteTest.TinyProxy(rig.dir.resolve("tinyproxy"),
                         proxyPort, "downloader", "proxy-pass-1")) {
                Map<String, Object> viaProxy = Map.of("protocol", "http", "server", "127.0.0.1", "port", proxy.port,
                        "username", "downloader", "password", "proxy-pass-1");
                Map<String, Object> ok = rig.awaitTerminal(rig.render(Map.of("url", site.base() + "/clip.mp4", "proxy", viaProxy)));
                assertEquals("completed", ok.get("status"), "job failed: " + ok.get("error"));
                assertArrayEquals(Files.readAllBytes(clip), rig.upload("video").body());
                assertTrue(proxy.log().contains("GET " + site.base() + "/clip.mp4"), "the job's proxy carried the request:\n" + proxy.log());

                Map<String, Object> refused = rig.awaitTerminal(rig.render(Map.of("url", site.base() + "/go", "proxy", viaProxy)));
                assertRefused(refused, "127.0.0.1:" + secret.base().getPort() + " is");
                assertTrue(!proxy.log().contains("/secret.mp4"), "the refused request never reached the proxy:\n" + proxy.log());
                assertEquals(List.of(), secret.requests, "the loopback server saw no request");
                rig.awaitWorkDirEmpty();
            }
        }
    }

    /**
     * A SOCKS5 proxy (microsocks, with credentials) behind the guard, by address ({@code socks5})
     * and by name ({@code socks5h}): the site sees the download coming from the proxy, whose
     * outgoing connections are bound to 127.0.0.2.
     */
    @Test
    void aSocksProxyIsChainedBehindTheGuard() throws Exception {
        TestMedia.requireOnPath("microsocks");
        List<String> from = new CopyOnWriteArrayList<>();
        int port = TestServers.freePort();
        try (StubHttpServer site = new StubHttpServer(); DownloaderRouteTest.Rig rig = rigWithProxy(site, port)) {
            site.on("/clip.mp4", ex -> {
                from.add(ex.getRemoteAddress().getAddress().getHostAddress());
                site.record(ex);
                StubHttpServer.respond(ex, 200, "video/mp4", Files.readAllBytes(clip));
            });
            Process socks = new ProcessBuilder("microsocks", "-i", "127.0.0.1", "-p", String.valueOf(port), "-u", "downloader",
                    "-P", "socks-pass-1", "-b", "127.0.0.2").redirectErrorStream(true)
                    .redirectOutput(rig.dir.resolve("microsocks.log").toFile()).start();
            try {
                dev.mediaorchestrator.support.Wait.until("microsocks listening", Duration.ofSeconds(30), () -> listening(port));
                for (String protocol : List.of("socks5", "socks5h")) {
                    Map<String, Object> viaProxy = Map.of("protocol", protocol, "server", "127.0.0.1", "port", port,
                            "username", "downloader", "password", "socks-pass-1");
                    Map<String, Object> ok = rig.awaitTerminal(rig.render(Map.of("url", site.base() + "/clip.mp4", "proxy", viaProxy)));
                    assertEquals("completed", ok.get("status"), protocol + ": " + ok.get("error"));
                }
                assertTrue(!from.isEmpty() && from.stream().allMatch("127.0.0.2"::equals), "every request came through the proxy: " + from);
                rig.awaitWorkDirEmpty();
            } finally {
                socks.destroy();
                socks.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * The proxy a job names is input like its url: one in a private network is refused before
     * anything starts, whichever way the job names it ({@code proxy} server, {@code nodeUrl},
     * {@code defaultProxyUrl}), and the proxy sees nothing. Before: the job's proxy on loopback
     * carried the download (its address was never checked).
     */
    @Test
    void aJobsProxyInAPrivateNetworkIsRefusedBeforeAnythingStarts() throws Exception {
        try (StubHttpServer site = new StubHttpServer(); DownloaderRouteTest.Rig rig = rig(site, Map.of())) {
            serveClip(site);
            int port = TestServers.freePort();
            try (DownloaderRouteTest.TinyProxy proxy = new DownloaderRouteTest.TinyProxy(rig.dir.resolve("tinyproxy"), port, "u", "p-1")) {
                String url = site.base() + "/clip.mp4";
                Map<String, Object> plain = rig.awaitTerminal(rig.render(Map.of("url", url,
                        "proxy", Map.of("protocol", "http", "server", "127.0.0.1", "port", port, "username", "u", "password", "p-1"))));
                assertProxyRefused(plain, "its host is 127.0.0.1, a loopback address", "127.0.0.1:" + port);
                Map<String, Object> byDefault = rig.awaitTerminal(rig.render(Map.of("url", url, "defaultProxyUrl", "http://u:p-1@127.0.0.1:" + port)));
                assertProxyRefused(byDefault, "its host is 127.0.0.1, a loopback address", "127.0.0.1:" + port);
                Map<String, Object> node = rig.awaitTerminal(rig.render(Map.of("url", url,
                        "proxy", Map.of("nodeUrl", "trojan://secret-1@10.0.0.5:443#internal"))));
                assertProxyRefused(node, "its host is 10.0.0.5, a private address", "10.0.0.5:443");
                assertTrue(!proxy.log().contains("clip.mp4"), "the proxy saw nothing:\n" + proxy.log());
            }
            assertEquals(List.of(), site.requests, "nothing was downloaded");
            rig.awaitWorkDirEmpty();
        }
    }

    /**
     * A proxy named by a name whose DNS answer changes after the check (public, then loopback) is
     * refused where the guard connects to it, and the job fails saying so: the guard connects to
     * the address it checked. Before: the guard connected to the name, resolved again to loopback.
     */
    @Test
    void aJobsProxyWhoseNameTurnsPrivateIsRefusedAtTheConnection() throws Exception {
        try (StubHttpServer site = new StubHttpServer(); DownloaderRouteTest.Rig rig = rig(site, Map.of())) {
            serveClip(site);
            AtomicInteger lookups = rebindLocalhost(rig);
            int port = TestServers.freePort();
            try (DownloaderRouteTest.TinyProxy proxy = new DownloaderRouteTest.TinyProxy(rig.dir.resolve("tinyproxy"), port, "u", "p-1")) {
                Map<String, Object> terminal = rig.awaitTerminal(rig.render(Map.of("url", site.base() + "/clip.mp4",
                        "proxy", Map.of("protocol", "http", "server", "localhost", "port", port, "username", "u", "password", "p-1"))));
                assertEquals("failed", terminal.get("status"), terminal.toString());
                assertEquals("connection refused by the egress guard: the job's proxy localhost:" + port + " resolves to 127.0.0.1,"
                        + " a loopback address; downloads from private networks are off (DOWNLOADER_ALLOW_PRIVATE_NETWORKS=true"
                        + " turns them on); a proxy the operator trusts can be listed in DOWNLOADER_EGRESS_ALLOW (localhost:" + port
                        + ")", terminal.get("error"));
                assertTrue(lookups.get() >= 2, "one lookup for the check before yt-dlp, one by the guard for the connection: " + lookups);
                assertTrue(!proxy.log().contains("clip.mp4"), "the proxy saw nothing:\n" + proxy.log());
            }
            assertEquals(List.of(), site.requests, "nothing was downloaded");
            rig.awaitWorkDirEmpty();
        }
    }

    /** The runner's DNS: {@code localhost} answers a public address (TEST-NET-3) the first time, loopback after; its lookups counted. */
    private static AtomicInteger rebindLocalhost(DownloaderRouteTest.Rig rig) {
        AtomicInteger lookups = new AtomicInteger();
        steps(rig).egress().resolveWith(host -> {
            if (!host.equals("localhost")) {
                return PrivateNetworks.SYSTEM.resolve(host);
            }
            return lookups.incrementAndGet() == 1 ? new InetAddress[]{InetAddress.getByName("203.0.113.7")}
                    : new InetAddress[]{InetAddress.getLoopbackAddress()};
        });
        return lookups;
    }

    private static void assertProxyRefused(Map<String, Object> terminal, String why, String hostPort) {
        assertEquals("failed", terminal.get("status"), terminal.toString());
        assertEquals("the job's proxy is refused: " + why + "; downloads from private networks are off"
                + " (DOWNLOADER_ALLOW_PRIVATE_NETWORKS=true turns them on); a proxy the operator trusts can be listed in"
                + " DOWNLOADER_EGRESS_ALLOW (" + hostPort + ")", terminal.get("error"));
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static DownloaderSteps steps(DownloaderRouteTest.Rig rig) {
        return rig.app.app.camelContext().getRegistry().lookupByNameAndType("downloaderSteps", DownloaderSteps.class);
    }
}
