package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, server-side request forgery: the downloader role with
 * {@code DOWNLOADER_ALLOW_PRIVATE_NETWORKS=false} refuses every form of a loopback URL of a local
 * site before any connection is made (the site sees no request), failing the job with an error
 * that says why; with {@code true} the same URLs download (real yt-dlp). Forms a test cannot point
 * at a listening server (a DNS name for 10.x, 169.254.169.254, ULA, NAT64, …) are covered by
 * {@link PrivateNetworksTest}.
 */
@IntegrationTest
class DownloaderPrivateNetworksTest {
    @TempDir
    static Path media;
    static Path clip;

    @BeforeAll
    static void makeClip() {
        clip = TestMedia.makeClip(media, "clip.mp4", "320x180", 2);
    }

    private static List<String> forms(DownloaderRouteTest.Rig rig) {
        int port = URI.create(rig.pageUrl()).getPort();
        return List.of("http://127.0.0.1:" + port + "/watch.html", "http://localhost:" + port + "/watch.html",
                "http://2130706433:" + port + "/watch.html", "http://0x7f.1:" + port + "/watch.html",
                "http://127.1:" + port + "/watch.html", "http://[::ffff:127.0.0.1]:" + port + "/watch.html");
    }

    /** The downloader alone, with the guard on ({@code allow} false) or off; several jobs at once. */
    private static DownloaderRouteTest.Rig rig(boolean allow) throws Exception {
        return new DownloaderRouteTest.Rig(Map.of("DOWNLOADER_ALLOW_PRIVATE_NETWORKS", Boolean.toString(allow), "RUNNER_MAX_CONCURRENCY", "8"), clip);
    }

    @Test
    void everyFormOfALoopbackUrlIsRefusedBeforeAnyConnection() throws Exception {
        try (DownloaderRouteTest.Rig rig = rig(false)) {
            for (String url : forms(rig)) {
                Map<String, Object> terminal = rig.awaitTerminal(rig.render(Map.of("url", url)));
                assertEquals("failed", terminal.get("status"), url + ": " + terminal);
                String error = (String) terminal.get("error");
                assertTrue(error.startsWith("url is refused: its host is ") && error.contains("loopback"), url + ": " + error);
            }
            // with a proxy configured the check is still on the target
            String viaProxy = rig.render(Map.of("url", forms(rig).get(0), "defaultProxyUrl", "http://127.0.0.1:9"));
            Map<String, Object> proxied = rig.awaitTerminal(viaProxy);
            assertEquals("failed", proxied.get("status"));
            assertTrue(((String) proxied.get("error")).startsWith("url is refused: its host is 127.0.0.1, a loopback address"), proxied.toString());
            assertEquals(List.of(), rig.site.requests, "the site saw no request");
            rig.awaitWorkDirEmpty();
        }
    }

    @Test
    void withTheFlagOnTheSameUrlsDownload() throws Exception {
        try (DownloaderRouteTest.Rig rig = rig(true)) {
            for (String url : forms(rig)) {
                Map<String, Object> terminal = rig.awaitTerminal(rig.render(Map.of("url", url)));
                assertEquals("completed", terminal.get("status"), url + ": " + terminal);
            }
            assertTrue(rig.site.requests.size() >= forms(rig).size(), "the site was reached: " + rig.site.requests);
        }
    }
}
