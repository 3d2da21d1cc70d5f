package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.orchestrator.Dispatcher;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.orchestrator.JobStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The orchestrator's view of jobs that wait for a runner, for the alerts of
 * {@code deploy/monitoring/alerts.rules.yml}: how long the oldest has waited (a queue that does not
 * move, whatever its depth) and how many wait because their runner could not be reached or answered
 * an error (not a busy 429). Read from the job store at each scrape, like the queue depth; every
 * replica reports the whole bucket's jobs, so the rules take {@code max} over replicas. The runner
 * probe counters start at 0 here for the same reason as the job counters: {@code increase()} sees
 * the first lost job.
 */
final class QueueGauges {
    static final List<String> PROBE_RESULTS = List.of("alive", "failed", "completed", "not_found", "lost");

    private QueueGauges() {
    }

    static void bind(MeterRegistry registry, JobStore store, Clock clock) {
        for (Engine e : Engine.values()) {
            Gauge.builder(Metrics.PREFIX + "jobs.queued.oldest.age", store, s -> oldestWaitSeconds(s, e, clock.millis()))
                    .strongReference(true).baseUnit("seconds").tag("engine", e.id)
                    .description("How long the oldest job not yet taken by a runner has waited").register(registry);
            Gauge.builder(Metrics.PREFIX + "jobs.dispatch.failing", store, s -> dispatchFailing(s, e))
                    .strongReference(true).tag("engine", e.id)
                    .description("Waiting jobs whose last dispatch found the runner unreachable or answering an error").register(registry);
            for (String result : PROBE_RESULTS) {
                Counter.builder(Metrics.PREFIX + "runner.probes").tags("engine", e.id, "result", result).register(registry);
            }
        }
    }

    private static boolean waiting(Job j, Engine e) {
        return j.engine == e && !j.dispatched && !j.isTerminal();
    }

    static double oldestWaitSeconds(JobStore store, Engine e, long now) {
        long oldest = now;
        for (Job j : store.active()) {
            if (waiting(j, e)) {
                oldest = Math.min(oldest, waitingSince(j));
            }
        }
        return Math.max(0, now - oldest) / 1000.0;
    }

    /**
     * When the job last became queued: its creation, or a runner that lost it (the latest timeline
     * entry); for a burn split into segments (docs/segmented-burn.md), when its tasks last moved (one
     * taken, or reporting): it waits for a slot while its other tasks run.
     */
    static long waitingSince(Job j) {
        if (j.segments != null && j.segments.inTasks()) {
            return Math.max(j.createdAt, Math.max(j.lastReportAt, j.lastDispatchAt == null ? 0 : j.lastDispatchAt));
        }
        if (!j.timeline.isEmpty()) {
            Map<String, Object> last = j.timeline.get(j.timeline.size() - 1);
            if ("queued".equals(last.get("phase")) && last.get("at") instanceof Number at) {
                return at.longValue();
            }
        }
        return j.createdAt;
    }

    static double dispatchFailing(JobStore store, Engine e) {
        int n = 0;
        for (Job j : store.active()) {
            if (waiting(j, e) && j.dispatchError != null && !Dispatcher.BUSY.equals(j.dispatchError)) {
                n++;
            }
        }
        return n;
    }
}
