package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The orchestrator's own decisions that end a job, each a transition on a fresh read that tells the
 * job's runner to stop it ({@link Dispatcher#cancelOnRunner}) when it is what ended the job: a
 * failure (the job timeout, a probe's verdict, a runner's {@code completed} whose outputs stay
 * missing) and a cancel on request ({@code POST /jobs/{jobId}/cancel}, the dashboard's cancel).
 */
public final class JobEndings {
    private static final Logger LOG = LoggerFactory.getLogger(JobEndings.class);

    private final JobStore jobs;
    private final Dispatcher dispatcher;
    private final Clock clock;

    public JobEndings(JobStore jobs, Dispatcher dispatcher, Clock clock) {
        this.jobs = jobs;
        this.dispatcher = dispatcher;
        this.clock = clock;
    }

    /**
     * Fails the job on a fresh read when {@code stillTrue} holds for it then; tells the runner to
     * stop when this call is what ended the job. Returns the job afterwards.
     */
    Optional<Job> fail(String jobId, String error, long now, Predicate<Job> stillTrue) {
        AtomicBoolean endedHere = new AtomicBoolean();
        Optional<Job> after = jobs.transition(jobId, j -> {
            endedHere.set(false);
            if (j.isTerminal() || !stillTrue.test(j)) {
                return j;
            }
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, "failed", error, now);
            endedHere.set(true);
            return d.build();
        });
        if (endedHere.get() && after.isPresent()) {
            LOG.warn("job {} failed: {}", jobId, error);
            dispatcher.cancelOnRunner(after.get());
        }
        return after;
    }

    /** {@code POST /jobs/{jobId}/cancel}, after the signature and ts checks. */
    public String cancel(String jobId) {
        jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        AtomicBoolean canceled = new AtomicBoolean();
        long now = clock.millis();
        Job after = jobs.transition(jobId, j -> {
            canceled.set(false);
            if (j.isTerminal()) {
                return j;
            }
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, "canceled", "canceled by request", now);
            canceled.set(true);
            return d.build();
        }).orElseThrow(() -> new HttpError(404, "not found"));
        if (!canceled.get()) {
            throw new HttpError(409, "job is already " + after.status);
        }
        LOG.info("job {} canceled", jobId);
        dispatcher.cancelOnRunner(after);
        return Json.write(Map.of("jobId", jobId, "status", "canceled"));
    }
}
