package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.orchestrator.SegmentEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;

/**
 * The orchestrator's meters of segmented burns (docs/segmented-burn.md §7), beside {@link Metrics}
 * on its registry: burn jobs planned and what became of them, segments and joins by outcome, and a
 * segment's wall time from its dispatch to its upload. The runner's side is
 * {@code mediaorch_runner_tasks_total} ({@link RunnerMetrics#runnerFinished}).
 */
public final class SegmentMetrics implements SegmentEvents {
    static final String PREFIX = Metrics.PREFIX + "burn.";

    private final MeterRegistry registry;
    private final DistributionSummary segmentSeconds;

    public SegmentMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.segmentSeconds = registry == null ? null : DistributionSummary.builder(PREFIX + "segment.seconds").baseUnit("seconds")
                .description("Wall time of a segment task, from its dispatch to its segment in the bucket").register(registry);
        if (registry != null) {
            // every series at 0 from the start, so that rates and alerts see the first event
            for (String result : List.of("split", "single", "plan_failed")) {
                counter("split", "result", result);
            }
            for (String status : List.of("completed", "failed", "retried")) {
                counter("segments", "status", status);
                counter("joins", "status", status);
            }
        }
    }

    private Counter counter(String name, String tag, String value) {
        return Counter.builder(PREFIX + name).tags(tag, value).register(registry);
    }

    @Override
    public void burnPlanned(String result) {
        if (registry != null) {
            counter("split", "result", result).increment();
        }
    }

    @Override
    public void segment(String status, long millis) {
        if (registry == null) {
            return;
        }
        counter("segments", "status", status).increment();
        if ("completed".equals(status)) {
            segmentSeconds.record(millis / 1000.0);
        }
    }

    @Override
    public void join(String status) {
        if (registry != null) {
            counter("joins", "status", status).increment();
        }
    }

    /** Counted with the probes of quiet jobs ({@link Metrics#runnerProbe}): a task runs on a burner too. */
    @Override
    public void taskProbe(String result) {
        if (registry != null) {
            Meters.counter(registry, "runner.probes", "engine", "burner", "result", result).increment();
        }
    }
}
