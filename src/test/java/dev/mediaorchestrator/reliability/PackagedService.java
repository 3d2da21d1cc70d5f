package dev.mediaorchestrator.reliability;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged service (target/media-orchestrator.jar) in a process of its own, as the fault tests
 * run it: started with an environment (and a command prefix, e.g. as PID 1 of a PID namespace), a
 * burner whose stand-in ffmpeg is running a burn, the processes in a work dir, and the clean-up.
 */
final class PackagedService {
    static final Path JAR = Path.of("target/media-orchestrator.jar");
    final HttpClient http = HttpClient.newHttpClient();
    final Hmac hmac = new Hmac(RunningApp.SECRET);

    Process start(Path dir, Map<String, String> env) throws IOException {
        return start(dir, env, List.of());
    }

    /** The packaged service, its command after {@code prefix} (e.g. to run it as PID 1 of a new PID namespace). */
    Process start(Path dir, Map<String, String> env, List<String> prefix) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("java", "-jar", JAR.toAbsolutePath().toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("out.log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("R2_") || k.equals("ROLES"));
        pb.environment().put("HOST", "127.0.0.1");
        pb.environment().put("JOB_CALLBACK_HMAC_SECRET", RunningApp.SECRET);
        pb.environment().putAll(env);
        return pb.start();
    }

    void awaitAnswer(String url, Process p) {
        Wait.until("the service to answer", Duration.ofSeconds(60), () -> {
            try {
                return p.isAlive() && http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() < 500;
            } catch (Exception e) {
                return false;
            }
        });
    }

    static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    }

    static void stop(Process p) throws InterruptedException {
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** A runner with a stand-in ffmpeg ({@code script}) that is running a burn when this returns. */
    Process startBurning(Path dir, Path work, Map<String, String> env, StubHttpServer stub, String script) throws Exception {
        return startBurning(dir, work, env, stub, script, List.of());
    }

    Process startBurning(Path dir, Path work, Map<String, String> env, StubHttpServer stub, String script,
                                 List<String> prefix) throws Exception {
        Path slow = dir.resolve("slow-ffmpeg");
        Files.writeString(slow, script);
        Files.setPosixFilePermissions(slow, PosixFilePermissions.fromString("rwx------"));
        Path clip = TestMedia.generateClip(dir.resolve("clip.mp4"), 1.0, true);
        env.put("FFMPEG_BIN", slow.toString());
        stub.on("/in/video", ex -> StubHttpServer.respond(ex, 200, "video/mp4", Files.readAllBytes(clip)));
        stub.on("/in/vtt", ex -> StubHttpServer.respond(ex, 200, "text/vtt", "WEBVTT\n".getBytes()));
        stub.answer("/cb", 200, "{}");
        Process p = start(dir, env, prefix);
        String port = env.get("PORT");
        awaitAnswer("http://127.0.0.1:" + port + "/healthz", p);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jobId", "job_killburnaaaaaaaaaaaaaaaaaa");
        body.put("mediaId", "k1");
        body.put("engine", "burner-ffmpeg");
        body.put("callbackUrl", stub.base() + "/cb");
        body.put("engineOptions", Map.of());
        body.put("inputVideoUrl", stub.base() + "/in/video");
        body.put("inputVttUrl", stub.base() + "/in/vtt");
        body.put("outputPutUrl", stub.base() + "/out");
        body.put("outputVideoKey", "outputs/by-media/k1/job_killburnaaaaaaaaaaaaaaaaaa/video.mp4");
        body.put("ts", System.currentTimeMillis());
        body.put("nonce", "n1");
        render("http://127.0.0.1:" + port, body);
        Wait.until("the (slow) ffmpeg's sleep to run", Duration.ofSeconds(30), () -> {
            try {
                return TestServers.processesIn(work).stream().anyMatch(h -> h.info().command().orElse("").endsWith("sleep"));
            } catch (IOException e) {
                return false;
            }
        });
        return p;
    }

    /** A signed {@code POST {base}/render} of {@code body}; asserts the 202. */
    void render(String base, Map<String, Object> body) throws IOException, InterruptedException {
        byte[] raw = Json.writeBytes(body);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/render"))
                .header("content-type", "application/json").header("x-signature", hmac.sign(raw))
                .POST(HttpRequest.BodyPublishers.ofByteArray(raw)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
    }

    /** Stops the runner and whatever still runs in its work dir, and removes the test's directory. */
    static void cleanUp(Process p, Path work, Path dir) throws Exception {
        stop(p);
        for (ProcessHandle h : TestServers.processesIn(work)) {
            h.destroyForcibly();
        }
        TestServers.deleteRecursively(dir);
    }

    static Map<String, String> runnerEnv(Path work) {
        return new HashMap<>(Map.of("PORT", String.valueOf(TestServers.freePort()), "ROLES", "burner",
                "RUNNER_WORK_DIR", work.toString()));
    }

    /** As a container runs it: PID 1 of a PID namespace of its own (the parent, unshare, kills it when it dies). */
    static final List<String> AS_PID_1 = List.of("unshare", "--pid", "--fork", "--kill-child", "--mount-proc");

    static boolean pid1Works() {
        try {
            List<String> command = new ArrayList<>(AS_PID_1);
            command.addAll(List.of("sh", "-c", "echo $$"));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && out.equals("1");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The zombies (state Z) among the descendants of {@code pid}, from /proc. */
    static List<Long> zombiesUnder(long pid) {
        Map<Long, Long> parent = new HashMap<>();
        Map<Long, Character> state = new HashMap<>();
        List<Path> dirs;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            dirs = procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        for (Path d : dirs) {
            try {
                String stat = Files.readString(d.resolve("stat"));
                String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long id = Long.parseLong(d.getFileName().toString());
                state.put(id, rest[0].charAt(0));
                parent.put(id, Long.parseLong(rest[1]));
            } catch (IOException | RuntimeException e) {
                // gone meanwhile
            }
        }
        List<Long> out = new ArrayList<>();
        for (Map.Entry<Long, Character> e : state.entrySet()) {
            long up = parent.getOrDefault(e.getKey(), 0L);
            while (up > 1 && up != pid) {
                up = parent.getOrDefault(up, 0L);
            }
            if (up == pid && e.getValue() == 'Z') {
                out.add(e.getKey());
            }
        }
        return out;
    }
}
