package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import org.apache.camel.Exchange;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /callbacks/tasks}: the phase reports of a segmented burn's tasks (the {@code callbackUrl}
 * of their payloads, {@link BurnTasks}), signed and replay-checked as {@code /callbacks/container} is.
 * The body's {@code jobId} is the task run's ({@code job_…-s003}): its job is the prefix. A report of
 * a run that is not the task's current one changes nothing; one of a job that ended only has a
 * segment it uploaded deleted. A task's own status never reaches the app: its job's does.
 */
public final class TaskCallbacks {
    /** A report of progress alone is written at most this often per job (as {@link RunnerReports} does for jobs). */
    static final long PROGRESS_WRITE_MS = RunnerReports.PROGRESS_WRITE_MS;
    private static final Set<String> PROGRESS_FIELDS = RunnerReports.PROGRESS_FIELDS;

    private final SegmentedBurns burns;
    private final JobStore jobs;
    private final CallbackAdmission admission;
    private final Clock clock;
    private final RunnerAddress runnerAddress;

    public TaskCallbacks(SegmentedBurns burns, JobStore jobs, ReplayCache replay, ReplayStore shared, Clock clock) {
        this.burns = burns;
        this.jobs = jobs;
        this.admission = new CallbackAdmission(replay, shared);
        this.clock = clock;
        this.runnerAddress = new RunnerAddress(burns.config);
    }

    /** The route's bean method, after the signature and ts checks. */
    public String callback(Map<String, Object> body, Exchange exchange) {
        String taskId = CallbackAdmission.checkedJobId(body);
        String status = (String) body.get("status");
        BurnTasks.RunRef ref = BurnTasks.parse(taskId);
        if (ref == null) {
            throw new HttpError(404, "not found");
        }
        Job known = jobs.get(ref.jobId()).orElseThrow(() -> new HttpError(404, "not found"));
        List<String> keys = admission.claim(exchange);
        if (keys == null) {
            return Json.write(Map.of("ok", true, "duplicate", true));
        }
        try {
            Job after = apply(known, ref, status, body);
            return Json.write(Map.of("ok", true, "status", after.status));
        } catch (RuntimeException e) {
            admission.release(keys);
            throw e;
        }
    }

    private Job apply(Job known, BurnTasks.RunRef ref, String status, Map<String, Object> body) {
        if (known.isTerminal()) {
            if (ref.kind() == SegmentedBurn.Kind.JOIN && "completed".equals(status) && "completed".equals(known.status)) {
                burns.events.join("completed"); // its output completed the job before this report came
            }
            burns.deleteLate(known, body);
            return known;
        }
        if ("failed".equals(status) || "canceled".equals(status)) {
            String error = body.get("error") instanceof String e && !e.isBlank() ? e : "runner reported " + status;
            return burns.ended(known, ref, error);
        }
        if ("completed".equals(status)) {
            return burns.completed(known, ref, body);
        }
        long now = clock.millis();
        String runnerUrl = runnerAddress.usable(Engine.BURNER, body.get("runnerUrl"));
        if (PROGRESS_FIELDS.containsAll(body.keySet()) && now - known.ts < PROGRESS_WRITE_MS && SegmentTransitions.current(known, ref)) {
            return known; // progress alone, the record written a moment ago: the next report writes it
        }
        AtomicBoolean applied = new AtomicBoolean();
        Job after = jobs.transition(known.jobId, j -> {
            Job.Draft d = j.draft();
            applied.set(SegmentTransitions.reported(d, ref, body, runnerUrl, now));
            return applied.get() ? d.build() : j;
        }).orElse(known);
        if (!after.isTerminal() && applied.get() && ref.kind() == SegmentedBurn.Kind.JOIN && RunnerReports.allDigestsReported(after, body)) {
            // the join reports the output's digest once it is up: the job may complete now
            return burns.completedOutput(after);
        }
        return after;
    }
}
