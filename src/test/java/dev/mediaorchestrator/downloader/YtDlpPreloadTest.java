package dev.mediaorchestrator.downloader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.mediaorchestrator.runner.JobProcessExecutor;
import dev.mediaorchestrator.runner.StartedTool;
import dev.mediaorchestrator.support.IntegrationTest;
import org.apache.camel.component.exec.ExecCommand;
import org.apache.camel.component.exec.ExecResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * yt-dlp forked from a loaded copy ({@link YtDlpPreload}) against yt-dlp started with exec, both
 * through {@link JobProcessExecutor} and the real yt-dlp on {@code PATH} (the test's, a pip console
 * script), on a clip ffmpeg made for the test and served on loopback.
 */
@IntegrationTest
class YtDlpPreloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path media;
    static Path clip;
    static YtDlpPreload preload;
    static JobProcessExecutor forking;

    @BeforeAll
    static void setUp() throws Exception {
        TestMedia.requireOnPath("yt-dlp");
        TestMedia.requireOnPath("ffmpeg");
        clip = TestMedia.makeClip(media, "clip.mp4", "320x180", 3);
        preload = YtDlpPreload.of("yt-dlp").orElseThrow(() -> new AssertionError("the yt-dlp on PATH is not a Python yt-dlp"));
        forking = new JobProcessExecutor();
        forking.launchWith("yt-dlp", preload);
        awaitReady();
    }

    @AfterAll
    static void tearDown() {
        preload.close();
    }

    /** The first start starts the preloader and is refused (exec is used); later ones fork once it is ready. */
    private static void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!preload.isReady()) {
            preload.start(List.of("yt-dlp", "--version"), media, media.resolve("v.out"), media.resolve("v.err"))
                    .ifPresent(t -> fail("forked before the preloader said it was ready"));
            if (System.nanoTime() > deadline) {
                fail("the yt-dlp preloader was not ready within 60 s");
            }
            Thread.sleep(50);
        }
    }

    private static ExecResult run(JobProcessExecutor executor, Path work, String url) throws IOException {
        List<String> args = YtDlpCommand.builder(DownloadOptions.parse(Map.of("url", url, "quality", "720p")), work).build();
        return executor.execute(new ExecCommand("yt-dlp", args.subList(1, args.size()), work.toString(), 120_000L, null, null, null,
                false, null));
    }

    /** The same download forked (into {@code forked}) and started with exec (into {@code started}). */
    private record Both(ExecResult forked, ExecResult started) {
        static Both run(String url, Path forked, Path started) throws IOException {
            return new Both(YtDlpPreloadTest.run(forking, forked, url), YtDlpPreloadTest.run(new JobProcessExecutor(), started, url));
        }
    }

    private static String text(java.io.InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aForkedYtDlpWritesWhatAStartedOneWrites(@TempDir Path forked, @TempDir Path started) throws Exception {
        try (TestMedia.FileServer server = new TestMedia.FileServer(media)) {
            String url = server.url("clip.mp4");
            Both both = Both.run(url, forked, started);
            ExecResult f = both.forked();
            ExecResult s = both.started();

            assertEquals(0, s.getExitValue());
            assertEquals(0, f.getExitValue(), "forked yt-dlp's exit value");
            assertArrayEquals(Files.readAllBytes(clip), Files.readAllBytes(forked.resolve("video.mp4")), "the forked download is the clip");
            JsonNode fi = JSON.readTree(forked.resolve("video.info.json").toFile());
            JsonNode si = JSON.readTree(started.resolve("video.info.json").toFile());
            for (String field : List.of("id", "title", "webpage_url", "extractor_key", "ext", "format_id", "_filename")) {
                assertEquals(si.path(field).asText().replace(started.toString(), "WORK"), fi.path(field).asText().replace(forked.toString(), "WORK"),
                        "info JSON field " + field);
            }
            String out = Files.readString(forked.resolve("yt-dlp.stdout"));
            assertTrue(out.contains("[mo-progress] finished"), "progress lines in the job's stdout file: " + out);
            assertEquals(Files.readString(started.resolve("yt-dlp.stdout")).lines().filter(l -> !l.startsWith("[mo-progress]")).toList(),
                    out.replace(forked.toString(), started.toString()).lines().filter(l -> !l.startsWith("[mo-progress]")).toList(),
                    "the same messages");
            assertEquals(text(s.getStdout()).isEmpty(), text(f.getStdout()).isEmpty());
        }
    }

    @Test
    void aFailedDownloadEndsAsAStartedOneDoes(@TempDir Path forked, @TempDir Path started) throws Exception {
        try (TestMedia.FileServer server = new TestMedia.FileServer(media)) {
            Both both = Both.run(server.url("missing.mp4"), forked, started);
            ExecResult f = both.forked();
            ExecResult s = both.started();

            assertEquals(1, s.getExitValue());
            assertEquals(1, f.getExitValue(), "forked yt-dlp's exit value");
            String stderr = text(f.getStderr());
            assertTrue(stderr.contains("ERROR:") && stderr.contains("404"), "yt-dlp's error in the job's stderr: " + stderr);
            assertEquals(YtDlpCommand.errorMessage(text(s.getStderr()), 1), YtDlpCommand.errorMessage(stderr, 1));
        }
    }

    @Test
    void aForkedYtDlpIsTheJobsToStopWithItsDescendants(@TempDir Path work) throws Exception {
        try (Stalling server = new Stalling()) {
            CompletableFuture<ExecResult> result = CompletableFuture.supplyAsync(() -> {
                try {
                    return run(forking, work, server.url());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            ProcessHandle child = server.awaitChild(work);
            ProcessHandle preloader = child.parent().orElseThrow();
            assertNotEquals(ProcessHandle.current().pid(), preloader.pid(), "yt-dlp is not started by the JVM");
            assertTrue(preloader.info().commandLine().orElse("").contains(" -c "), "its parent is the preloader: " + preloader.info());

            assertTrue(forking.stop(work), "the job's yt-dlp is found by its directory");

            assertEquals(128 + 9, result.get(30, TimeUnit.SECONDS).getExitValue(), "killed");
            assertFalse(child.isAlive());
            assertTrue(preloader.isAlive(), "the preloader outlives the job");
        }
    }

    @Test
    void aForkedYtDlpDiesWithThePreloader(@TempDir Path work) throws Exception {
        YtDlpPreload own = YtDlpPreload.of("yt-dlp").orElseThrow();
        JobProcessExecutor executor = new JobProcessExecutor();
        executor.launchWith("yt-dlp", own);
        try (own; Stalling server = new Stalling()) {
            while (!own.isReady()) {
                own.start(List.of("yt-dlp", "--version"), work, work.resolve("v.out"), work.resolve("v.err"));
                Thread.sleep(50);
            }
            CompletableFuture<ExecResult> result = CompletableFuture.supplyAsync(() -> {
                try {
                    return run(executor, work, server.url());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            ProcessHandle child = server.awaitChild(work);
            ProcessHandle preloader = child.parent().orElseThrow();

            preloader.destroyForcibly();

            assertEquals(128 + 9, result.get(30, TimeUnit.SECONDS).getExitValue(), "the job's yt-dlp ends killed");
            assertFalse(child.onExit().get(10, TimeUnit.SECONDS).isAlive(), "no yt-dlp outlives its preloader");
            assertFalse(own.isReady());
            Optional<StartedTool> next = own.start(List.of("yt-dlp", "--version"), work, work.resolve("v.out"), work.resolve("v.err"));
            assertTrue(next.isEmpty(), "the next download starts yt-dlp with exec while a new preloader loads");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!own.isReady() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(own.isReady(), "a new preloader");
        }
    }

    /**
     * Serves the head of the clip with the full length, then holds the rest until closed, so that the
     * yt-dlp downloading it is running while the test looks at it.
     */
    private static final class Stalling implements AutoCloseable {
        private final HttpServer server;
        private final CountDownLatch requested = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        Stalling() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            server.createContext("/", exchange -> {
                try (exchange) {
                    exchange.getResponseHeaders().set("Content-Type", "video/mp4");
                    if (exchange.getRequestMethod().equals("HEAD")) {
                        exchange.sendResponseHeaders(200, -1);
                        return;
                    }
                    exchange.sendResponseHeaders(200, 50_000_000);
                    exchange.getResponseBody().write(new byte[64 * 1024]);
                    exchange.getResponseBody().flush();
                    requested.countDown();
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    // the client went away: what the tests do to it
                }
            });
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/stall.mp4";
        }

        /** The yt-dlp process downloading into {@code work} (the process below this JVM whose working directory it is). */
        ProcessHandle awaitChild(Path work) throws Exception {
            assertTrue(requested.await(60, TimeUnit.SECONDS), "yt-dlp asked for the file");
            Path dir = work.toRealPath();
            List<ProcessHandle> found = new ArrayList<>();
            ProcessHandle.current().descendants().filter(p -> dir.equals(cwd(p))).forEach(found::add);
            assertEquals(1, found.size(), "one process works in " + dir + ": " + found);
            return found.get(0);
        }

        private static Path cwd(ProcessHandle p) {
            try {
                return Path.of("/proc", Long.toString(p.pid()), "cwd").toRealPath();
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        public void close() {
            release.countDown();
            server.stop(0);
        }
    }
}
