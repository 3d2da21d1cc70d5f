package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a runner's {@code /status} answer means for a quiet job, and what a probe may change. */
@IntegrationTest
class RunnerProbeTest {
    private static RunnerProbe.Answer parse(int status, String body) {
        return RunnerProbe.parse(status, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theOriginalsStatusesMapToAliveFailedCompleted() {
        RunnerProbe.Answer running = parse(200, "{\"jobId\":\"j\",\"status\":\"running\",\"progress\":0.42}");
        assertEquals(RunnerProbe.Kind.ALIVE, running.kind());
        assertEquals(0.42, running.progress());
        assertEquals(RunnerProbe.Kind.ALIVE, parse(200, "{\"status\":\"uploading\"}").kind());
        RunnerProbe.Answer failed = parse(200, "{\"status\":\"failed\",\"progress\":0.2}");
        assertEquals(RunnerProbe.Kind.FAILED, failed.kind());
        assertNull(failed.error(), "the original burner gives no error text");
        assertEquals("ffmpeg exited 1", parse(200, "{\"status\":\"failed\",\"error\":\"ffmpeg exited 1\"}").error());
        assertEquals(RunnerProbe.Kind.COMPLETED, parse(200, "{\"status\":\"completed\",\"progress\":1}").kind());
    }

    @Test
    void anAnswerWithoutAStatusIsNotFoundAndA5xxIsLost() {
        // the runner answered, and knows no such job (or serves no /status: the original renderer-remotion)
        assertEquals(RunnerProbe.Kind.NOT_FOUND, parse(404, "{\"error\":\"not found\"}").kind());
        assertEquals(RunnerProbe.Kind.NOT_FOUND, parse(405, "").kind());
        assertEquals(RunnerProbe.Kind.NOT_FOUND, parse(200, "<html>").kind());
        assertEquals(RunnerProbe.Kind.NOT_FOUND, parse(200, "{\"progress\":0.5}").kind());
        assertEquals(RunnerProbe.Kind.NOT_FOUND, parse(200, "{\"status\":\"" + "x".repeat(RunnerProbe.MAX_ANSWER) + "\"}").kind());
        // no answer worth the name
        assertEquals(RunnerProbe.Kind.LOST, parse(502, "bad gateway").kind());
        assertFalse(parse(502, "bad gateway").unreachable(), "something answered: no reason to ask elsewhere");
    }

    @Test
    void aRunnerThatDoesNotAnswerIsUnreachable() {
        // a port nobody listens on
        URI nowhere;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nowhere = URI.create("http://127.0.0.1:" + s.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RunnerProbe.Answer a = new RunnerProbe().probe(nowhere, "job_x");
        assertEquals(RunnerProbe.Kind.LOST, a.kind());
        assertTrue(a.unreachable(), a.why());
    }

    @Test
    void a404IsAMissOnlyFromARunnerThatServesStatus() {
        Job burner = new Job("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "m", Engine.BURNER, Map.of(), 0, "n");
        Job remotion = new Job("job_bbbbbbbbbbbbbbbbbbbbbbbbbb", "m", Engine.REMOTION, Map.of(), 0, "n");
        assertTrue(RunnerProbes.servesStatus(burner), "the original burner serves /status");
        assertTrue(RunnerProbes.servesStatus(new Job("job_cccccccccccccccccccccccccc", "m", Engine.DOWNLOADER, Map.of(), 0, "n")));
        assertFalse(RunnerProbes.servesStatus(remotion), "the original renderer-remotion serves POST /render only");
        Job.Draft d = remotion.draft();
        JobTransitions.probedAlive(d, "running", 0.5, 10);
        assertTrue(RunnerProbes.servesStatus(d.build()), "once it answered a probe with a status, it does");
        JobTransitions.requeue(d, "lost", 20);
        assertFalse(RunnerProbes.servesStatus(d.build()), "the next run may be on another runner");
    }

    @Test
    void aliveMovesStatusAndProgressForwardOnlyAndNeverCompletes() {
        Job.Draft job = new Job("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "m", Engine.BURNER, Map.of(), 0, "n").draft();
        job.status = "running";
        job.progress = 0.5;
        job.probeMisses = 2;
        assertTrue(JobTransitions.probedAlive(job, "running", 0.3, 10), "the misses were reset");
        assertEquals(0.5, job.progress, "progress never goes back");
        assertEquals(0, job.probeMisses);
        assertEquals(10, job.lastProbeAt);
        assertFalse(JobTransitions.probedAlive(job, "preparing", null, 20), "nothing changed");
        assertEquals("running", job.status);
        assertTrue(JobTransitions.probedAlive(job, "uploading", 1.0, 30));
        assertEquals("uploading", job.status);
        assertEquals(0.99, job.progress, "only the outputs in the bucket complete a job");
        assertFalse(JobTransitions.probedAlive(job, "completed", 1.0, 40));
        assertEquals("uploading", job.status);
    }
}
