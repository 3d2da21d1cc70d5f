package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Test helpers: tools on PATH, ffmpeg-generated media, a loopback file server, running processes. */
final class TestMedia {

    private TestMedia() {
    }

    /** Fails (does not skip) when a tool the tests need is missing, saying how to get it. */
    static void requireOnPath(String tool) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return;
                }
            }
        }
        fail(tool + " is not on PATH; install it (Debian: apt-get install " + tool + ")");
    }

    /** A {@code testsrc2} + {@code sine} H.264/AAC mp4 ({@code size} as {@code WxH}), made by the shared generator. */
    static Path makeClip(Path dir, String name, String size, int seconds) {
        String[] wh = size.split("x");
        return dev.mediaorchestrator.testutil.TestMedia.generateClip(dir.resolve(name), Integer.parseInt(wh[0]),
                Integer.parseInt(wh[1]), seconds, true);
    }

    /**
     * A DASH presentation {@code manifest.mpd} in {@code dir} with two video renditions (320x180 and
     * 1920x1080, no audio) and one AAC audio rendition, so yt-dlp must pick by height and merge.
     */
    static Path makeDash(Path dir, int seconds) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path mpd = dir.resolve("manifest.mpd");
        Result r = run(List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                "-t", Integer.toString(seconds), "-map", "0:v", "-map", "0:v", "-map", "1:a",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-s:v:0", "320x180", "-s:v:1", "1920x1080", "-c:a", "aac", "-b:a", "128k",
                "-f", "dash", "-seg_duration", "1", "-adaptation_sets", "id=0,streams=v id=1,streams=a",
                mpd.toString()), dir, Duration.ofSeconds(120));
        assertEquals(0, r.exitCode(), "ffmpeg dash failed: " + r.stderr());
        return mpd;
    }

    /** ffprobe one value, e.g. {@code stream=height} of {@code v:0}. */
    static String probe(Path media, String stream, String entries) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ffprobe", "-v", "error"));
        if (stream != null) {
            cmd.addAll(List.of("-select_streams", stream));
        }
        cmd.addAll(List.of("-show_entries", entries, "-of", "default=noprint_wrappers=1:nokey=1", media.toString()));
        Result r = run(cmd, media.getParent(), Duration.ofSeconds(30));
        assertEquals(0, r.exitCode(), "ffprobe failed: " + r.stderr());
        return r.stdout().strip();
    }

    /** A loopback HTTP server on a free port serving the files under {@code root}; 404 for anything else. */
    static final class FileServer implements AutoCloseable {
        final HttpServer server;
        final List<String> requests = Collections.synchronizedList(new ArrayList<>());
        final List<String> proxyAuthorizations = Collections.synchronizedList(new ArrayList<>());
        private final ExecutorService pool = Executors.newFixedThreadPool(4);

        FileServer(Path root) throws IOException {
            Path base = root.toAbsolutePath().normalize();
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            server.createContext("/", exchange -> handle(base, exchange));
            server.setExecutor(pool);
            server.start();
        }

        private void handle(Path base, HttpExchange exchange) throws IOException {
            try (exchange) {
                requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
                String auth = exchange.getRequestHeaders().getFirst("Proxy-Authorization");
                if (auth != null) {
                    proxyAuthorizations.add(auth);
                }
                Path file = base.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
                if (!file.startsWith(base) || !Files.isRegularFile(file)) {
                    byte[] body = "File not found".getBytes(StandardCharsets.UTF_8);
                    exchange.sendResponseHeaders(404, body.length);
                    exchange.getResponseBody().write(body);
                    return;
                }
                String name = file.getFileName().toString();
                String type = name.endsWith(".mp4") ? "video/mp4"
                        : name.endsWith(".mpd") ? "application/dash+xml"
                        : name.endsWith(".html") ? "text/html; charset=utf-8"
                        : name.endsWith(".m4s") ? "video/iso.segment" : "application/octet-stream";
                exchange.getResponseHeaders().set("Content-Type", type);
                long size = Files.size(file);
                if (exchange.getRequestMethod().equals("HEAD")) {
                    exchange.getResponseHeaders().set("Content-Length", Long.toString(size));
                    exchange.sendResponseHeaders(200, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, size);
                try (OutputStream out = exchange.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
        }

        int port() {
            return server.getAddress().getPort();
        }

        String url(String path) {
            return "http://127.0.0.1:" + port() + "/" + path;
        }

        @Override
        public void close() {
            server.stop(0);
            pool.shutdownNow();
        }
    }

    record Result(int exitCode, String stdout, String stderr) {
        List<String> stdoutLines() {
            return stdout.lines().toList();
        }
    }

    /**
     * Runs a command with stdout/stderr captured through files (no pipe deadlock) and proxy
     * variables removed from its environment, so only {@code --proxy} decides.
     */
    static Result run(List<String> command, Path workDir, Duration timeout) throws IOException, InterruptedException {
        Path out = Files.createTempFile("proc", ".out");
        Path err = Files.createTempFile("proc", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            for (String v : List.of("http_proxy", "https_proxy", "all_proxy", "no_proxy")) {
                pb.environment().remove(v);
                pb.environment().remove(v.toUpperCase());
            }
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail(command.get(0) + " did not finish within " + timeout + ": " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Asserts a list of numbers never goes down. */
    static void assertNonDecreasing(List<Double> values) {
        for (int i = 1; i < values.size(); i++) {
            assertTrue(values.get(i) >= values.get(i - 1), "went down at " + i + ": " + values);
        }
    }
}
