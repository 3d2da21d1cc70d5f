package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.runner.RunnerJob;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The segmented burn's tasks on a burner (docs/segmented-burn.md) are counted by kind and status
 * ({@code mediaorch_runner_tasks_total}); every task is also a runner job, and a plain burn is
 * only that.
 */
class RunnerTaskMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RunnerMetrics metrics = new RunnerMetrics(registry);

    @AfterEach
    void close() {
        registry.close();
    }

    private void finish(String jobId, String task, String status) {
        RunnerJob job = new RunnerJob(jobId, "burner-ffmpeg", Map.of(), "http://o.example/callbacks/container", 1_000);
        job.task = task;
        job.status = status;
        job.phase = status;
        job.updatedAt = 2_000;
        metrics.runnerPhase(job);
        metrics.runnerFinished(job);
    }

    @Test
    void segmentsJoinsAndPlansAreCountedByKindAndStatus() {
        finish("job_a-s000", "segment", "completed");
        finish("job_a-s001", "segment", "completed");
        finish("job_a-s002", "segment", "failed");
        finish("job_a-join", "join", "completed");
        finish("job_a-plan", "plan", "completed");
        finish("job_b", null, "completed");

        PrometheusText m = new PrometheusText(registry.scrape());
        assertEquals(2, m.value("mediaorch_runner_tasks_total", "engine", "burner-ffmpeg", "task", "segment", "status", "completed"));
        assertEquals(1, m.value("mediaorch_runner_tasks_total", "task", "segment", "status", "failed"));
        assertEquals(1, m.value("mediaorch_runner_tasks_total", "task", "join", "status", "completed"));
        assertEquals(1, m.value("mediaorch_runner_tasks_total", "task", "plan", "status", "completed"));
        assertTrue(m.find("mediaorch_runner_tasks_total", "task", "burn").isEmpty(), "a plain burn is no task");
        assertEquals(5, m.value("mediaorch_runner_jobs_total", "engine", "burner-ffmpeg", "status", "completed"), "every task is a runner job");
    }
}
