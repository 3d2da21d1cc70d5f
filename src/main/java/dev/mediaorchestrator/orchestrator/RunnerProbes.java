package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Pools;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * CONTRACT.md, "Quiet runners are asked, not killed" and "A runner without a status endpoint is not
 * lost": a dispatched job whose runner has not reported (nor been asked) for
 * {@code RUNNER_PROBE_SECONDS} is probed at {@code GET {runner}/status/{jobId}}, in the background and
 * never twice at once for one job, and the answer is acted on inside a transition, on a fresh read.
 *
 * <p>Where: at the address the job's runner reported ({@link Job#runnerUrl}), so that a probe reaches
 * the pod that runs the job and not whichever one the engine's Service picks; at the engine's runner
 * URL when the runner reported none, or when its address does not answer (the pod is gone).
 *
 * <p>What a miss is: no answer (or a 5xx) always; a 404 (or another answer without a status) only
 * from a runner that serves {@code /status}: the burner's and the downloader's do, a remotion runner
 * once it has answered a probe with a status. The original renderer-remotion answers 404 to every
 * path but {@code POST /render}, so its 404s say nothing; its job ends by its outputs, its
 * {@code failed}, or {@code JOB_TIMEOUT_SECONDS}. Three misses in a row: the runner lost the job, which
 * is dispatched again (up to {@code JOB_MAX_ATTEMPTS} runs) only to a runner that cannot still be
 * running it (one that said 404 while serving {@code /status}, or one that did not answer).
 */
final class RunnerProbes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerProbes.class);
    static final int PROBE_PARALLELISM = 4;
    /** Probes in a row that count as misses after which a job is lost. */
    static final int MAX_PROBE_MISSES = 3;

    /** Fails a job on a fresh read when {@code stillTrue} holds for it then, telling its runner to stop ({@link JobEndings#fail}). */
    interface Ending {
        Optional<Job> fail(String jobId, String error, long now, Predicate<Job> stillTrue);
    }

    private final Config config;
    private final JobStore jobs;
    private final Dispatcher dispatcher;
    private final Clock clock;
    private final Ending ending;
    private final UnaryOperator<Job> checkOutputs;
    private final RunnerProbe probe = new RunnerProbe();
    private final ExecutorService probes;
    private final Set<String> probing = ConcurrentHashMap.newKeySet();
    /** When this process last probed each job (a probe that changed nothing writes nothing). */
    private final Map<String, Long> probedAt = new ConcurrentHashMap<>();
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;

    /** {@code checkOutputs}: completes a job whose outputs are all in the bucket ({@link CompletionCheck#checkOutputs}). */
    RunnerProbes(Config config, JobStore jobs, Dispatcher dispatcher, Clock clock, Pools pools, Ending ending, UnaryOperator<Job> checkOutputs) {
        this.config = config;
        this.jobs = jobs;
        this.dispatcher = dispatcher;
        this.clock = clock;
        this.ending = ending;
        this.checkOutputs = checkOutputs;
        this.probes = pools.fixed("runner-probe", PROBE_PARALLELISM);
    }

    void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
    }

    /** Forgets what it knew of jobs no longer active. */
    void retainOnly(Set<String> activeIds) {
        probedAt.keySet().retainAll(activeIds);
    }

    /** Probes the job in the background when its runner has been quiet for {@code RUNNER_PROBE_SECONDS}. */
    void probeIfQuiet(Job job, long now) {
        long quietSince = Math.max(Math.max(job.lastReportAt, job.lastProbeAt), probedAt.getOrDefault(job.jobId, 0L));
        if ((config.runnerBaseUrl(job.engine.id) == null && job.runnerUrl == null) || !job.dispatched || job.isTerminal()
                || quietSince == 0 || now - quietSince < config.runnerProbeSeconds * 1000 || !probing.add(job.jobId)) {
            return;
        }
        try {
            probes.submit(JobContext.wrap(job.jobId, () -> {
                try {
                    applyProbe(job, ask(job), now);
                } catch (RuntimeException e) {
                    LOG.warn("probe of job {} failed: {}", job.jobId, e.toString());
                } finally {
                    probedAt.put(job.jobId, clock.millis());
                    probing.remove(job.jobId);
                }
            }));
        } catch (RejectedExecutionException e) {
            probing.remove(job.jobId); // closing
        }
    }

    /**
     * Asks the job's runner at its own address, else (none reported, or no answer there) at the
     * engine's runner URL. When the own address does not answer, a 404 from the runner URL is no
     * news of the job's runner (another runner answered): it counts as no answer.
     */
    RunnerProbe.Answer ask(Job job) {
        URI configured = config.runnerBaseUrl(job.engine.id);
        if (job.runnerUrl == null) {
            return probe.probe(configured, job.jobId);
        }
        URI own = URI.create(job.runnerUrl);
        RunnerProbe.Answer direct = probe.probe(own, job.jobId);
        if (!direct.unreachable() || configured == null || configured.equals(own)) {
            return direct;
        }
        RunnerProbe.Answer viaService = probe.probe(configured, job.jobId);
        LOG.debug("probe of job {}: {} at {}; {} at {}", job.jobId, direct.why(), own, viaService.why(), configured);
        return viaService.kind() == RunnerProbe.Kind.NOT_FOUND
                ? RunnerProbe.Answer.unreachable(direct.why() + " at its address, " + viaService.why() + " at " + configured)
                : viaService;
    }

    /** Whether a 404 from the job's runner says that it lost the job. */
    static boolean servesStatus(Job job) {
        return job.engine != Engine.REMOTION || job.runnerServesStatus;
    }

    /**
     * Acts on what the runner said about a quiet job, on a fresh read: a job whose runner reported
     * after the probe started ({@code askedAt}) is left alone, the answer being older than the report.
     */
    void applyProbe(Job job, RunnerProbe.Answer answer, long askedAt) {
        long now = clock.millis();
        String jobId = job.jobId;
        Predicate<Job> stillQuiet = j -> j.dispatched && j.lastReportAt <= askedAt;
        switch (answer.kind()) {
            case ALIVE -> jobs.transition(jobId, j -> {
                if (j.isTerminal() || !stillQuiet.test(j)) {
                    return j;
                }
                Job.Draft d = j.draft();
                return JobTransitions.probedAlive(d, answer.status(), answer.progress(), now) ? d.build() : j;
            });
            case FAILED -> ending.fail(jobId, "runner reports failed" + (answer.error() == null ? "" : ": " + answer.error()), now, stillQuiet);
            case COMPLETED -> jobs.transition(jobId, j -> {
                if (j.isTerminal() || (j.runnerCompleted && j.probeMisses == 0 && j.runnerServesStatus)) {
                    return j;
                }
                Job.Draft d = j.draft();
                if (CompletionCheck.awaitsDigests(j, now)) {
                    // done, and its reports (the outputs' digests) on their way: alive until they come
                    return JobTransitions.probedAlive(d, answer.status(), answer.progress(), now) ? d.build() : j;
                }
                JobTransitions.runnerSaidCompleted(d, now);
                d.runnerServesStatus = true;
                d.probeMisses = 0;
                d.lastProbeAt = now;
                return d.build();
            }).ifPresent(checkOutputs::apply);
            case NOT_FOUND, LOST -> missed(job, answer, stillQuiet, now);
        }
        metrics.runnerProbe(job.engine.id, answer.kind().name().toLowerCase(Locale.ROOT)); // once its outcome is applied
    }

    /** A probe without news of the job: a miss, unless it is a 404 from a runner that serves no {@code /status}. */
    private void missed(Job job, RunnerProbe.Answer answer, Predicate<Job> stillQuiet, long now) {
        String jobId = job.jobId;
        AtomicInteger misses = new AtomicInteger();
        AtomicBoolean again = new AtomicBoolean();
        AtomicBoolean evidence = new AtomicBoolean();
        Optional<Job> after = jobs.transition(jobId, j -> {
            again.set(false);
            evidence.set(answer.kind() == RunnerProbe.Kind.LOST || servesStatus(j));
            if (j.isTerminal() || !stillQuiet.test(j)) {
                return j;
            }
            if (!evidence.get()) {
                // the runner answered, it has no /status: no news, and the end of a run of no answers
                if (j.probeMisses == 0) {
                    return j;
                }
                Job.Draft d = j.draft();
                d.probeMisses = 0;
                d.lastProbeAt = now;
                return d.build();
            }
            Job.Draft d = j.draft();
            d.lastProbeAt = now;
            d.probeMisses = j.probeMisses + 1;
            misses.set(d.probeMisses);
            if (d.probeMisses >= MAX_PROBE_MISSES) {
                String why = "runner lost the job (" + answer.why() + " to " + d.probeMisses + " probes in a row)";
                if (d.runs < config.jobMaxAttempts) {
                    // to any runner again: outputs are keyed by job, so a second run overwrites, never mixes
                    JobTransitions.requeue(d, why + "; dispatching it again (run " + (d.runs + 1) + " of "
                            + config.jobMaxAttempts + ")", now);
                    again.set(true);
                } else {
                    JobTransitions.terminate(d, "failed", why + (d.runs > 1 ? " after " + d.runs + " runs" : ""), now);
                }
            }
            return d.build();
        });
        if (!evidence.get()) {
            LOG.debug("probe of job {}: {} from a runner that serves no /status: no news", jobId, answer.why());
            return;
        }
        if (again.get()) {
            LOG.warn("job {}: {}", jobId, after.map(j -> j.dispatchError).orElse("lost"));
            dispatcher.wake();
            return;
        }
        LOG.warn("probe of job {}: {} ({} of {} in a row)", jobId, answer.why(), misses.get(), MAX_PROBE_MISSES);
        if (after.isPresent() && after.get().isTerminal() && misses.get() >= MAX_PROBE_MISSES) {
            LOG.warn("job {} failed: {}", jobId, after.get().error);
            dispatcher.cancelOnRunner(after.get());
        }
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }
}
