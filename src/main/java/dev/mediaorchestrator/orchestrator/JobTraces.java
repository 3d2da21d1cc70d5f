package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Tracing;

/**
 * Tracing's memory of the jobs this process reads or changes (a step of {@code direct:job-changed}):
 * each job's trace context, from the request that created it, so that the work done for it later
 * (its dispatch, probes, the terminal callback) joins that trace. Nothing with tracing off.
 */
public final class JobTraces {
    private final Tracing tracing;

    public JobTraces(Tracing tracing) {
        this.tracing = tracing;
    }

    public void remember(Job job) {
        tracing.remember(job.jobId, job.traceparent, job.mediaId, job.engine.id);
    }
}
