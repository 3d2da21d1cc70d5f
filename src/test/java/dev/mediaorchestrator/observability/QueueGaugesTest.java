package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.orchestrator.Dispatcher;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobKeys;
import dev.mediaorchestrator.orchestrator.JobRecord;
import dev.mediaorchestrator.orchestrator.JobStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gauges behind the alerts on jobs waiting too long for a runner and on runners that cannot be
 * reached: the oldest waiting job's age per engine (a job taken by a runner, or ended, no longer
 * counts; a job a runner lost waits from when it was queued again), and the waiting jobs whose
 * runner was unreachable (a busy 429 is not a failure). The probe counters exist at 0.
 */
class QueueGaugesTest {
    private static final long NOW = 1_000_000_000L;

    @Test
    void oldestWaitAndFailingDispatchPerEngine() {
        JobStore store = new JobStore(Duration.ofHours(1));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        QueueGauges.bind(registry, store, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));

        store.create(new Job(JobKeys.newJobId(), "m1", Engine.BURNER, Map.of(), NOW - 90_000, "n1"));
        Job unreachable = store.create(new Job(JobKeys.newJobId(), "m2", Engine.BURNER, Map.of(), NOW - 30_000, "n2"));
        store.transition(unreachable.jobId, j -> with(j, d -> d.dispatchError = "runner unreachable: ConnectException"));
        Job busy = store.create(new Job(JobKeys.newJobId(), "m3", Engine.BURNER, Map.of(), NOW - 20_000, "n3"));
        store.transition(busy.jobId, j -> with(j, d -> d.dispatchError = Dispatcher.BUSY));
        // taken by a runner long ago: not waiting
        Job taken = store.create(new Job(JobKeys.newJobId(), "m4", Engine.DOWNLOADER, Map.of(), NOW - 500_000, "n4"));
        store.transition(taken.jobId, j -> with(j, d -> d.dispatched = true));
        // lost by its runner and queued again 5 s ago
        Job requeued = store.create(new Job(JobKeys.newJobId(), "m5", Engine.DOWNLOADER, Map.of(), NOW - 400_000, "n5"));
        store.transition(requeued.jobId, j -> with(j, d -> {
            d.began("running", NOW - 300_000);
            d.began("queued", NOW - 5_000);
        }));

        PrometheusText m = new PrometheusText(registry.scrape());
        assertEquals(90, m.value("mediaorch_jobs_queued_oldest_age_seconds", "engine", "burner-ffmpeg"), 1e-9);
        assertEquals(5, m.value("mediaorch_jobs_queued_oldest_age_seconds", "engine", "media-downloader"), 1e-9);
        assertEquals(0, m.value("mediaorch_jobs_queued_oldest_age_seconds", "engine", "renderer-remotion"));
        assertEquals(1, m.value("mediaorch_jobs_dispatch_failing", "engine", "burner-ffmpeg"));
        assertEquals(0, m.value("mediaorch_jobs_dispatch_failing", "engine", "media-downloader"));
        for (String result : QueueGauges.PROBE_RESULTS) {
            assertEquals(0, m.value("mediaorch_runner_probes_total", "engine", "media-downloader", "result", result));
        }
        registry.close();
    }

    /**
     * Issue 32: a burn split into segments waits in the queue whenever one of its tasks waits for a
     * burner, while its other tasks run. It waits since it last moved (a task taken or reporting),
     * not since it was created: a long burn making progress is no queue that does not move.
     */
    @Test
    void aSplitBurnWaitsSinceItsTasksLastMovedNotSinceItWasCreated() {
        JobStore store = new JobStore(Duration.ofHours(1));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        QueueGauges.bind(registry, store, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
        Job created = store.create(new Job(JobKeys.newJobId(), "talk", Engine.BURNER, Map.of(), NOW - 600_000, "n1"));
        Map<String, Object> state = new LinkedHashMap<>(JobRecord.toState(with(created, d -> {
            d.status = "running";
            d.phase = "segments";
            d.lastReportAt = NOW - 3_000;
            d.lastDispatchAt = NOW - 40_000;
        })));
        Map<String, Object> done = Map.of("status", "completed", "progress", 1, "attempts", 1);
        Map<String, Object> running = Map.of("status", "running", "progress", 0.5, "attempts", 1, "runId", created.jobId + "-s000",
                "lastReportAt", NOW - 3_000);
        Map<String, Object> queued = Map.of("status", "queued", "progress", 0, "attempts", 0);
        state.put("segments", Map.of("mode", "split", "duration", 600.0, "plan", done, "join", Map.of("status", "waiting"),
                "segments", List.of(Map.of("index", 0, "start", 0, "end", 300.0, "task", running),
                        Map.of("index", 1, "start", 300.0, "task", queued))));
        Job split = JobRecord.fromState(state, Map.of(), null);
        store.transition(created.jobId, j -> with(split, d -> { }));

        PrometheusText m = new PrometheusText(registry.scrape());
        assertEquals(3, m.value("mediaorch_jobs_queued_oldest_age_seconds", "engine", "burner-ffmpeg"), 1e-9);
        registry.close();
    }

    private static Job with(Job j, Consumer<Job.Draft> change) {
        Job.Draft d = j.draft();
        change.accept(d);
        return d.build();
    }
}
