package dev.mediaorchestrator.orchestrator;

/**
 * What a segmented burn tells whoever listens (the metrics of the observability package:
 * {@code SegmentMetrics}); like {@link OrchestratorEvents}, the orchestrator does not know who that is.
 */
public interface SegmentEvents {
    SegmentEvents NONE = new SegmentEvents() {
    };

    /** A burn job's plan came back: {@code split}, {@code single} (one segment), or {@code plan_failed} (burned in one run). */
    default void burnPlanned(String result) {
    }

    /** A segment's run ended: {@code completed} (after {@code millis} from its dispatch), {@code retried} or {@code failed} (for good). */
    default void segment(String status, long millis) {
    }

    /** The join's run ended: {@code completed}, {@code retried} or {@code failed}. */
    default void join(String status) {
    }

    /** A probe of a quiet task's run and what it found: {@code alive}, {@code failed}, {@code completed}, {@code not_found} or {@code lost}. */
    default void taskProbe(String result) {
    }
}
