package dev.mediaorchestrator.scale;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 29, "jobs are addressed to their pod": two burner runner processes behind one address, as
 * pods behind a Kubernetes Service ({@link RoundRobinProxy} on {@code 127.0.0.1:P}, the runners on
 * {@code 127.0.0.2:P} and {@code 127.0.0.3:P}: the same port, as a pod's and its Service's). A runner
 * says in its answer to {@code POST /render} where it can be reached, and the orchestrator sends the
 * job's probes and its cancel there, not to whichever runner the Service picks:
 * <ul>
 *   <li>a cancel stops ffmpeg on the runner that runs the job, ten times out of ten (the Service
 *   balancing requests, a cancel sent through it reaches the other runner every other time);</li>
 *   <li>a quiet job is never dispatched again (the Service balancing connections, as kube-proxy does,
 *   every probe sent through it reaches the runner the probes' connection went to: the other one).</li>
 * </ul>
 * The stand-in ffmpeg hangs for subtitles that say {@code HANG}; for others it waits 10 s before it
 * burns, a silence the runner fills only with its progress report every 5 s.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunnerAddressingTest {
    private static final String FAKE_FFMPEG = """
            #!/bin/sh
            if grep -q HANG ./subtitles.ass 2>/dev/null; then
              mkfifo "$PWD/hang.fifo"
              exec ffmpeg -nostdin -progress ffmpeg.progress -i "$PWD/hang.fifo" -f null -
            fi
            sleep 10
            exec ffmpeg "$@"
            """;

    private final HttpClient http = HttpClient.newHttpClient();
    private Path tools;
    private Path work;
    private TestMedia.TempDir media;
    private AppStandIn next;
    private BurnerPods pods;
    private RoundRobinProxy service;
    private RunningApp orchestrator;

    @BeforeAll
    void start() throws Exception {
        tools = TestServers.tempDir("mo-addr-tools");
        work = TestServers.tempDir("mo-addr-work");
        Path ffmpeg = tools.resolve("ffmpeg");
        Files.writeString(ffmpeg, FAKE_FFMPEG);
        Files.setPosixFilePermissions(ffmpeg, PosixFilePermissions.fromString("rwx------"));
        media = TestMedia.tempDir("mo-addr-media");
        byte[] clip = Files.readAllBytes(TestMedia.generateClip(media.path().resolve("clip.mp4"), 2, true));
        next = new AppStandIn(new Hmac(RunningApp.SECRET));
        next.media("hang", "source", clip).media("hang", "subtitles", vtt("HANG"))
                .media("quiet", "source", clip).media("quiet", "subtitles", vtt("Hello"));
        pods = BurnerPods.start(work, ffmpeg, 2);
        service = pods.service();
        Map<String, String> env = new HashMap<>();
        env.put("NEXT_BASE_URL", next.base().toString());
        env.put("CONTAINER_BASE_URL", service.base().toString());
        env.put("RUNNER_PROBE_SECONDS", "1");
        env.put("COMPLETION_POLL_INTERVAL_MS", "200");
        env.put("TRANSFER_MODE", "direct");
        orchestrator = RunningApp.start(env);
    }

    private static byte[] vtt(String english) {
        return ("WEBVTT\n\n00:00.000 --> 00:01.500\n" + english + "\n你好\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The "Service" on 127.0.0.1:P and its two "pods" on 127.0.0.2:P and 127.0.0.3:P. */
    @AfterAll
    void stop() {
        if (orchestrator != null) {
            orchestrator.close();
        }
        pods.close();
        next.close();
        media.close();
        TestServers.deleteRecursively(work);
        TestServers.deleteRecursively(tools);
    }

    private static boolean hangingFfmpeg(String jobId) {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine()
                .map(c -> c.contains(jobId) && c.contains("hang.fifo") && c.contains("ffmpeg")).orElse(false));
    }

    private String submit(String mediaId) throws Exception {
        HttpResponse<String> r = orchestrator.postSigned("/jobs", Map.of("mediaId", mediaId, "engine", "burner-ffmpeg",
                "ts", System.currentTimeMillis()));
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    /** The pod the service gave the job to. */
    private int podOf(String jobId) {
        List<RoundRobinProxy.Taken> t = service.taken.stream().filter(x -> x.jobId().equals(jobId)).toList();
        assertEquals(1, t.size(), "job " + jobId + " dispatched once: " + t);
        return t.get(0).backend();
    }

    private Map<String, Object> statusOn(int pod, String jobId) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(pods.pod(pod) + "/status/" + jobId)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? json(r) : Map.of("http", r.statusCode());
        } catch (Exception e) {
            return Map.of("error", e.toString());
        }
    }

    @Test
    void aCancelStopsFfmpegOnTheRunnerOfTheJobEveryTime() throws Exception {
        service.perConnection(false);
        for (int i = 1; i <= 10; i++) {
            String jobId = submit("hang");
            Wait.until("ffmpeg of job " + i + " to run", Duration.ofSeconds(60), () -> hangingFfmpeg(jobId));
            HttpResponse<String> r = orchestrator.postSigned("/jobs/" + jobId + "/cancel",
                    Map.of("ts", System.currentTimeMillis(), "nonce", UUID.randomUUID().toString()));
            assertEquals(200, r.statusCode(), r.body());
            Wait.until("cancel " + i + " of 10 to stop ffmpeg on the job's runner", Duration.ofSeconds(20), () -> !hangingFfmpeg(jobId));
            int pod = podOf(jobId);
            Wait.until("cancel " + i + ": the job's runner to say canceled", Duration.ofSeconds(20),
                    () -> "canceled".equals(statusOn(pod, jobId).get("status")));
            assertEquals(Map.of("http", 404), statusOn(1 - pod, jobId), "cancel " + i + ": the other runner never had it");
            Wait.until("the app's callback", Duration.ofSeconds(20), () -> !next.acceptedFor(jobId).isEmpty());
            assertEquals("canceled", next.acceptedFor(jobId).get(0).get("status"));
        }
        assertEquals(2, service.taken.stream().map(RoundRobinProxy.Taken::backend).distinct().count(), "both runners had jobs");
    }

    @Test
    void aQuietJobIsNeverDispatchedAgainBecauseItsProbesReachedTheOtherRunner() throws Exception {
        service.perConnection(true);
        double alive = aliveProbes();
        String jobId = submit("quiet");
        Wait.until("the app's callback", Duration.ofSeconds(120), () -> !next.acceptedFor(jobId).isEmpty());
        Map<String, Object> cb = next.acceptedFor(jobId).get(0);
        assertEquals("completed", cb.get("status"), String.valueOf(cb.get("error")));
        podOf(jobId);
        assertEquals(1, ((Number) cb.get("runs")).intValue(), "one run");
        assertTrue(aliveProbes() - alive >= 3, "probed while quiet, and found alive: " + (aliveProbes() - alive));
        assertTrue(service.seen.stream().noneMatch(s -> s.path().startsWith("/status/")),
                "no probe went through the Service: " + service.seen);
    }

    /** {@code mediaorch_runner_probes_total{result="alive"}} of the burner. */
    private double aliveProbes() throws Exception {
        String metrics = orchestrator.get("/metrics").body();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("mediaorch_runner_probes_total{engine=\"burner-ffmpeg\",result=\"alive\"}")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }
}
