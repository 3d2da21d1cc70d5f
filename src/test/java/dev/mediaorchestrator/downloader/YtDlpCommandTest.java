package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.support.IntegrationTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@IntegrationTest
class YtDlpCommandTest {

    private static final Path WORK = Path.of("/tmp/job_1/work");

    @Test
    void formatPerQuality() {
        assertEquals("bestvideo[height<=720]+bestaudio/best[height<=720]/best", YtDlpCommand.formatFor(Quality.P720));
        assertEquals("bestvideo[height<=1080]+bestaudio/best[height<=1080]/best", YtDlpCommand.formatFor(Quality.P1080));
    }

    @Test
    void fullArgumentListForAJob() {
        DownloadOptions o = DownloadOptions.parse(Map.of("url", "https://www.tiktok.com/@u/video/1", "quality", "720p"));
        List<String> args = YtDlpCommand.builder(o, WORK).executable("/usr/local/bin/yt-dlp")
                .proxy("socks5://u:p%40@10.0.0.1:1080").ffmpegLocation("/usr/bin/ffmpeg").build();
        assertEquals(List.of("/usr/local/bin/yt-dlp",
                "--ignore-config", "--no-cache-dir",
                "--no-playlist", "--playlist-items", "1", "--no-write-playlist-metafiles",
                "--format", "bestvideo[height<=720]+bestaudio/best[height<=720]/best",
                "--merge-output-format", "mp4", "--remux-video", "mp4",
                "--output", "/tmp/job_1/work/video.%(ext)s", "--write-info-json",
                "--no-part", "--no-mtime", "--newline", "--progress-template", YtDlpCommand.PROGRESS_TEMPLATE,
                "--socket-timeout", "30",
                "--proxy", "socks5://u:p%40@10.0.0.1:1080",
                "--ffmpeg-location", "/usr/bin/ffmpeg",
                "--", "https://www.tiktok.com/@u/video/1"), args);
    }

    @Test
    void defaultsLeaveOutProxyAndFfmpegLocation() {
        List<String> args = YtDlpCommand.builder("https://a.example/v", WORK).proxy(" ").ffmpegLocation(null).build();
        assertEquals("yt-dlp", args.get(0));
        assertFalse(args.contains("--proxy"));
        assertFalse(args.contains("--ffmpeg-location"));
        assertTrue(args.contains("bestvideo[height<=1080]+bestaudio/best[height<=1080]/best"), "1080p by default");
        assertEquals(List.of("--", "https://a.example/v"), args.subList(args.size() - 2, args.size()));
        assertThrows(UnsupportedOperationException.class, () -> args.add("x"));
        assertThrows(IllegalArgumentException.class, () -> YtDlpCommand.builder("u", WORK).socketTimeoutSeconds(0));
    }

    @Test
    void theProxyOfAPlanIsPassedOn() {
        DownloadOptions node = DownloadOptions.parse(Map.of("url", "https://a.example/v", "proxy", ProxyPlanTest.NODE));
        List<String> viaMihomo = YtDlpCommand.builder(node, WORK).proxy(ProxyPlan.resolve(node, ProxySettings.defaults())).build();
        assertEquals("http://127.0.0.1:7890", viaMihomo.get(viaMihomo.indexOf("--proxy") + 1));

        DownloadOptions none = DownloadOptions.parse(Map.of("url", "https://a.example/v"));
        assertFalse(YtDlpCommand.builder(none, WORK).proxy(ProxyPlan.resolve(none, ProxySettings.defaults())).build()
                .contains("--proxy"));
    }

    @Test
    void aPercentInTheWorkDirIsNotATemplateField() {
        List<String> args = YtDlpCommand.builder("https://a.example/v", Path.of("/tmp/50%off")).build();
        assertEquals("/tmp/50%%off/video.%(ext)s", args.get(args.indexOf("--output") + 1));
    }

    @Test
    void everyOptionIsInTheInstalledYtDlpsHelp(@TempDir Path dir) throws Exception {
        TestMedia.requireOnPath("yt-dlp");
        TestMedia.Result help = TestMedia.run(List.of("yt-dlp", "--help"), dir, Duration.ofSeconds(60));
        assertEquals(0, help.exitCode(), help.stderr());
        List<String> args = YtDlpCommand.builder("https://a.example/v", dir).proxy("http://h:1").ffmpegLocation("/x").build();
        for (String a : args) {
            if (a.startsWith("--") && a.length() > 2) {
                assertTrue(help.stdout().matches("(?s).*\\s" + Pattern.quote(a) + "[\\s,].*"), a + " not in yt-dlp --help");
            }
        }
    }

    @Test
    void describeHidesProxyCredentialsAndQuotesForAShell() {
        List<String> args = YtDlpCommand.builder("https://a.example/v?x=1&y=2", WORK).proxy("http://user:secretpw@h:1").build();
        String d = YtDlpCommand.describe(args);
        assertFalse(d.contains("secretpw"), d);
        assertTrue(d.contains("--proxy 'http://***@h:1'"), d);
        assertTrue(d.contains("'https://a.example/v?x=1&y=2'"), d);
        assertTrue(d.contains("'bestvideo[height<=1080]+bestaudio/best[height<=1080]/best'"), d);
    }

    @Test
    void errorMessagesFromRealStderr() {
        assertEquals("yt-dlp ERROR: [generic] None: Unable to download webpage: HTTP Error 404: File not found"
                        + " (caused by <HTTPError 404: 'File not found'>)",
                YtDlpCommand.errorMessage(YtDlpFixtures.NOT_FOUND_STDERR, 1));
        assertEquals("yt-dlp ERROR: [generic] None: Unable to download webpage: <urlopen error [Errno 111] Connection refused>"
                        + " (caused by URLError(ConnectionRefusedError(111, 'Connection refused')))",
                YtDlpCommand.errorMessage(YtDlpFixtures.PROXY_REFUSED_STDERR, 1));
        assertEquals("yt-dlp exited with code 2: Usage: yt-dlp [OPTIONS] URL",
                YtDlpCommand.errorMessage("\nUsage: yt-dlp [OPTIONS] URL\n\n", 2));
        assertEquals("yt-dlp exited with code 137", YtDlpCommand.errorMessage("", 137));
        assertEquals("yt-dlp exited with code 1", YtDlpCommand.errorMessage(null, 1));
    }

    @Test
    void findsTheVideo(@TempDir Path dir) throws Exception {
        assertTrue(YtDlpCommand.findVideo(dir).isEmpty());
        Files.writeString(dir.resolve("video.info.json"), "{}");
        Files.writeString(dir.resolve("video.f137.mp4"), "x");
        assertTrue(YtDlpCommand.findVideo(dir).isEmpty(), "per-format and info files are not the video");
        Files.writeString(dir.resolve("video.webm"), "x");
        assertEquals(dir.resolve("video.webm"), YtDlpCommand.findVideo(dir).orElseThrow());
        Files.writeString(dir.resolve("video.mp4"), "x");
        assertEquals(dir.resolve("video.mp4"), YtDlpCommand.findVideo(dir).orElseThrow());
        assertEquals(dir.resolve("video.info.json"), YtDlpCommand.infoJsonPath(dir));
    }
}
