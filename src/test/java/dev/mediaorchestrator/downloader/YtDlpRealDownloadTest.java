package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.support.IntegrationTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs the real yt-dlp with the arguments {@link YtDlpCommand} builds, against a JDK HttpServer on a
 * random loopback port serving media that ffmpeg generated for the test. Each test has its own
 * temporary directories (deleted by JUnit) and server, so the tests can run in parallel.
 */
@IntegrationTest
class YtDlpRealDownloadTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path media;
    static Path clip;

    @BeforeAll
    static void generateMedia() throws Exception {
        TestMedia.requireOnPath("yt-dlp");
        TestMedia.requireOnPath("ffmpeg");
        TestMedia.requireOnPath("ffprobe");
        clip = TestMedia.makeClip(media, "clip.mp4", "320x180", 3);
        TestMedia.makeDash(media.resolve("dash"), 3);
    }

    @Test
    void downloadsTheClipAndWritesTheInfoJsonFile(@TempDir Path work) throws Exception {
        try (TestMedia.FileServer server = new TestMedia.FileServer(media)) {
            String url = server.url("clip.mp4");
            DownloadOptions options = DownloadOptions.parse(Map.of("url", url, "quality", "720p"));
            List<String> args = YtDlpCommand.builder(options, work).build();

            TestMedia.Result r = TestMedia.run(args, work, TIMEOUT);

            assertEquals(0, r.exitCode(), r.stderr());
            try (Stream<Path> files = Files.list(work)) {
                assertEquals(Set.of("video.mp4", "video.info.json"),
                        files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()),
                        "only the video and the info JSON are left in the work dir");
            }
            Path video = YtDlpCommand.findVideo(work).orElseThrow();
            assertEquals(work.resolve("video.mp4"), video);
            assertArrayEquals(Files.readAllBytes(clip), Files.readAllBytes(video), "the download is the served clip");

            Path infoJson = YtDlpCommand.infoJsonPath(work);
            JsonNode info = JSON.readTree(infoJson.toFile());
            assertEquals(url, info.get("webpage_url").asText());
            assertEquals("clip", info.get("id").asText());
            assertEquals("Generic", info.get("extractor_key").asText());

            Map<String, Object> metadata = MetadataMapper.fromInfoFile(infoJson, options);
            assertEquals("clip", metadata.get("title"));
            assertEquals("720p", metadata.get("quality"));
            assertEquals("generic", metadata.get("source"));

            YtDlpProgress progress = new YtDlpProgress();
            List<Double> reported = new ArrayList<>();
            r.stdoutLines().forEach(l -> progress.accept(l).ifPresent(reported::add));
            assertFalse(reported.isEmpty(), "progress lines were recognised: " + r.stdout());
            TestMedia.assertNonDecreasing(reported);
            assertEquals(YtDlpProgress.PHASE_END, progress.progress(), 1e-9);
            assertTrue(server.requests.stream().anyMatch(q -> q.startsWith("GET /clip.mp4")), server.requests.toString());
        }
    }

    @ParameterizedTest(name = "{0} picks the {1}p rendition and merges audio")
    @CsvSource({"720p,180", "1080p,1080"})
    void qualityCapsTheHeightAndMergesVideoWithAudio(String quality, int expectedHeight, @TempDir Path work) throws Exception {
        try (TestMedia.FileServer server = new TestMedia.FileServer(media)) {
            DownloadOptions options = DownloadOptions.parse(Map.of("url", server.url("dash/manifest.mpd"), "quality", quality));
            TestMedia.Result r = TestMedia.run(YtDlpCommand.builder(options, work).build(), work, TIMEOUT);

            assertEquals(0, r.exitCode(), r.stderr());
            Path video = work.resolve("video.mp4");
            assertTrue(Files.isRegularFile(video), "merged video.mp4 exists");
            assertEquals(Integer.toString(expectedHeight), TestMedia.probe(video, "v:0", "stream=height"));
            assertEquals("aac", TestMedia.probe(video, "a:0", "stream=codec_name"), "the audio was merged in");
            JsonNode info = JSON.readTree(YtDlpCommand.infoJsonPath(work).toFile());
            assertEquals(expectedHeight, info.get("height").asInt());
            assertTrue(info.get("format_id").asText().contains("+"), "video+audio were selected: " + info.get("format_id"));
            try (Stream<Path> files = Files.list(work)) {
                assertEquals(2, files.count(), "per-format files were removed after the merge");
            }

            YtDlpProgress progress = new YtDlpProgress();
            List<Double> reported = new ArrayList<>();
            r.stdoutLines().forEach(l -> progress.accept(l).ifPresent(reported::add));
            TestMedia.assertNonDecreasing(reported);
            assertEquals(YtDlpProgress.PHASE_END, progress.progress(), 1e-9);
        }
    }

    @Test
    void aMissingPageFailsWithYtDlpsMessageAndNoVideo(@TempDir Path work) throws Exception {
        try (TestMedia.FileServer server = new TestMedia.FileServer(media)) {
            List<String> args = YtDlpCommand.builder(server.url("missing.mp4"), work).build();
            TestMedia.Result r = TestMedia.run(args, work, TIMEOUT);

            assertNotEquals(0, r.exitCode());
            String message = YtDlpCommand.errorMessage(r.stderr(), r.exitCode());
            assertTrue(message.contains("HTTP Error 404"), message);
            assertTrue(YtDlpCommand.findVideo(work).isEmpty());
        }
    }

    @Test
    void aPlainProxyWithEncodedCredentialsCarriesTheRequest(@TempDir Path work) throws Exception {
        try (TestMedia.FileServer origin = new TestMedia.FileServer(media);
             TestMedia.FileServer proxy = new TestMedia.FileServer(media)) {
            // the "proxy" answers absolute-form requests from the same files and records what it saw
            String password = "p@ss:w/rd+1%";
            DownloadOptions options = DownloadOptions.parse(Map.of(
                    "url", origin.url("clip.mp4"),
                    "proxy", Map.of("protocol", "http", "server", "127.0.0.1", "port", proxy.port(),
                            "username", "user", "password", password)));
            ProxyPlan plan = ProxyPlan.resolve(options, ProxySettings.defaults());
            assertEquals(ProxyPlan.Source.JOB_PLAIN_PROXY, plan.source());

            List<String> args = YtDlpCommand.builder(options, work).proxy(plan).build();
            TestMedia.Result r = TestMedia.run(args, work, TIMEOUT);

            assertEquals(0, r.exitCode(), r.stderr());
            assertTrue(proxy.requests.stream().anyMatch(q -> q.equals("GET " + origin.url("clip.mp4"))),
                    "the proxy got the absolute-form request: " + proxy.requests);
            assertTrue(origin.requests.isEmpty(), "nothing went to the origin directly: " + origin.requests);
            String expected = "Basic " + Base64.getEncoder().encodeToString(("user:" + password).getBytes(StandardCharsets.UTF_8));
            assertTrue(proxy.proxyAuthorizations.contains(expected),
                    "yt-dlp decoded the percent-encoded credentials: " + proxy.proxyAuthorizations);
            assertArrayEquals(Files.readAllBytes(clip), Files.readAllBytes(work.resolve("video.mp4")));
            assertFalse(YtDlpCommand.describe(args).contains(password));
        }
    }
}
