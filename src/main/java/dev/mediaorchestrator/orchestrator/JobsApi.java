package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.common.Tracing;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The steps of the {@code /jobs} routes that are not routing: replay and idempotency admission,
 * validation, recording, and the response documents.
 *
 * <p>Admission: a request claims its signature, nonce (kept 12 minutes, as long as its {@code ts}
 * can be accepted) and {@code Idempotency-Key} (kept for {@code JOB_TTL_SECONDS}) with a pending
 * response: in this process ({@link ReplayCache}, where a copy waits for its original) and in the
 * bucket ({@link ReplayStore}, shared by every replica and kept across restarts). A copy of an
 * accepted request gets the original response again and creates nothing; a copy that arrives
 * while the original is still being processed waits for it up to {@link #AWAIT_COPY} (in this
 * process; then a 503 with Retry-After) or records the job
 * the original named (another replica, or after a restart: see {@link #record}). When the original
 * fails before its job is recorded (400, 502, 503), its claims are released so that the client may
 * retry; once the job is recorded they hold the answer, whatever happens to the request after that.
 */
public final class JobsApi {
    private static final String PENDING = "jobsPendingResponse";
    static final String CLAIM_KEYS = "jobsClaimKeys";

    private final JobStore jobs;
    private final ReplayCache replay;
    private final ReplayCache idempotency;
    private final ReplayStore shared;
    private final Clock clock;
    private volatile Tracing tracing = Tracing.OFF;
    static final String SHARED_KEYS = "jobsSharedKeys";
    /** How long a copy waits for the original request, on another replica, to be answered. */
    static final Duration AWAIT_ORIGINAL = Duration.ofSeconds(30);

    /** The job keeps the trace context of the request that creates it (tracing on). */
    public void setTracing(Tracing tracing) {
        this.tracing = tracing;
    }

    public JobsApi(JobStore jobs, ReplayCache replay, ReplayCache idempotency, ReplayStore shared, Clock clock) {
        this.jobs = jobs;
        this.replay = replay;
        this.idempotency = idempotency;
        this.shared = shared;
        this.clock = clock;
    }

    /**
     * Claims the request. Sets exchange property {@link Names#REPLAY_RESPONSE} to the original
     * response when this is a replay.
     */
    public void admit(Exchange exchange) {
        String signature = exchange.getProperty(Names.SIGNATURE, String.class);
        String nonce = exchange.getProperty(Names.NONCE, String.class);
        String idemKey = exchange.getMessage().getHeader("Idempotency-Key", String.class);
        List<String> replayKeys = ReplayCache.replayKeys("jobs", signature, nonce);
        List<String> idemKeys = Arrays.asList(idemKey == null || idemKey.isBlank() ? null : "jobs-idem:" + idemKey.trim());
        CompletableFuture<String> mine = new CompletableFuture<>();
        Object existing = idempotency.claim(idemKeys, mine);
        if (existing == null) {
            existing = replay.claim(replayKeys, mine);
            if (existing != null) {
                idempotency.release(idemKeys, mine);
            }
        }
        if (existing != null) {
            exchange.setProperty(Names.REPLAY_RESPONSE, await(existing));
            return;
        }
        List<String> all = new ArrayList<>(replayKeys);
        all.addAll(idemKeys);
        exchange.setProperty(PENDING, mine);
        exchange.setProperty(CLAIM_KEYS, all);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                if (mine.isDone()) {
                    return;
                }
                replay.release(replayKeys, mine);
                idempotency.release(idemKeys, mine);
                if (done.getProperty(SHARED_KEYS) != null) {
                    shared.release(all);
                }
                Exception cause = done.getException() != null ? done.getException()
                        : done.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
                mine.completeExceptionally(cause instanceof HttpError ? cause : new HttpError(503, "original request failed, retry"));
            }
        });
    }

    /**
     * How long a copy waits for its original in this process before a 503 with Retry-After. The
     * original may take minutes (mirroring a large source from the app), and a client that retries
     * meanwhile must not hold a worker thread per retry: JOBS_RATE_PER_MINUTE copies waiting
     * minutes each would take every thread the API has.
     */
    static final Duration AWAIT_COPY = Duration.ofSeconds(10);
    /** How many copies may wait at once; beyond, a copy is told to retry at once (a burst must not fill the worker pool either). */
    static final int MAX_WAITING_COPIES = 16;
    final Semaphore waitingCopies = new Semaphore(MAX_WAITING_COPIES);

    private String await(Object existing) {
        if (!(existing instanceof CompletableFuture<?> f)) {
            throw new IllegalStateException("unexpected replay entry");
        }
        if (f.isDone()) {
            return answerOf(f, 0);
        }
        if (!waitingCopies.tryAcquire()) {
            throw new HttpError(503, "original request still in progress, retry").withRetryAfter(5);
        }
        try {
            return answerOf(f, AWAIT_COPY.toMillis());
        } finally {
            waitingCopies.release();
        }
    }

    private static String answerOf(CompletableFuture<?> f, long waitMs) {
        try {
            return (String) f.get(waitMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HttpError h) {
                throw h;
            }
            throw new HttpError(503, "original request failed, retry");
        } catch (TimeoutException e) {
            throw new HttpError(503, "original request still in progress, retry").withRetryAfter(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted");
        }
    }

    public JobRequest validate(Map<String, Object> body) {
        return JobRequest.from(body);
    }

    /**
     * Names the job this request records (exchange property {@link Names#RECORDING_JOB_ID}), before
     * it is recorded: first the request's keys are claimed in the memory every replica shares (only
     * now, once the request is valid and its inputs are in the bucket, so a refused request writes
     * nothing), naming a new job; once it is recorded the claims hold the answer, kept whatever
     * happens to the request after that. When another replica, or this one before a restart,
     * already answered the request, that answer becomes this one's ({@link Names#REPLAY_RESPONSE})
     * and nothing is to be recorded. When it took the request but has not answered, it may be slow
     * or it may have died (kill -9) between its claim and its answer: this copy records the job that
     * request named, unless it is there already ({@link #record}); a job id is recorded once, so
     * the two make one job and give one answer, and a client retrying an {@code Idempotency-Key}
     * after a crash gets the job instead of a 503 until the key expires.
     */
    @SuppressWarnings("unchecked")
    public void claimShared(Exchange exchange) {
        List<String> keys = exchange.getProperty(CLAIM_KEYS, List.class);
        String jobId = JobKeys.newJobId();
        if (keys != null) {
            Optional<ReplayStore.Earlier> earlier = shared.claim(keys, jobId);
            if (earlier.isPresent()) {
                ReplayStore.Earlier e = earlier.get();
                if (e.pending() && !JobKeys.isJobId(e.jobId())) { // a claim of a version that did not name its job
                    e = shared.await(e.key(), AWAIT_ORIGINAL).orElse(null);
                    if (e == null || e.pending()) {
                        throw new HttpError(503, "original request still in progress, retry").withRetryAfter(2);
                    }
                }
                if (!e.pending()) {
                    exchange.setProperty(Names.REPLAY_RESPONSE, e.response());
                    return;
                }
                jobId = e.jobId(); // finish what the request that took the keys started
                List<String> all = new ArrayList<>(keys);
                all.add(e.key());
                exchange.setProperty(CLAIM_KEYS, all);
            } else {
                exchange.setProperty(SHARED_KEYS, keys); // released should the job not be recorded
            }
        }
        exchange.setProperty(Names.RECORDING_JOB_ID, jobId);
    }

    /**
     * Records the job {@link #claimShared} named, {@code queued}; sets exchange property
     * {@link Names#JOB_ID}. When a copy of this request (another replica, or one that took the
     * same keys before) recorded it first, its answer becomes this one's
     * ({@link Names#REPLAY_RESPONSE}), and that copy dispatches it. A 503 when the store cannot be
     * written: nothing is recorded.
     */
    @SuppressWarnings("unchecked")
    public Job record(JobRequest request, Exchange exchange) {
        String jobId = exchange.getProperty(Names.RECORDING_JOB_ID, String.class);
        if (jobId == null) {
            throw new IllegalStateException("claimShared names the job before it is recorded");
        }
        List<String> keys = exchange.getProperty(CLAIM_KEYS, List.class);
        Job job = new Job(jobId, request.mediaId(), request.engine(), request.options(), clock.millis(), UUID.randomUUID().toString());
        String traceparent = tracing.currentTraceparent();
        if (traceparent != null) {
            Job.Draft d = job.draft();
            d.traceparent = traceparent;
            job = d.build();
            tracing.annotate(jobId, job.mediaId, job.engine.id);
        }
        Job stored;
        try {
            stored = jobs.create(job); // a 503 when it cannot be recorded: nothing is created
        } catch (JobStore.AlreadyRecorded recorded) {
            stored = null; // the copy of this request came first: its job is this request's answer
        }
        String answer = acceptedBody(jobId);
        if (keys != null) {
            shared.complete(keys, answer);
        }
        exchange.removeProperty(SHARED_KEYS); // answered: a later failure of this request keeps the answer
        if (stored == null) {
            exchange.setProperty(Names.REPLAY_RESPONSE, answer);
            return null;
        }
        exchange.setProperty(Names.JOB_ID, stored.jobId);
        return stored;
    }

    /**
     * The 202 response ({@code replayResponse} when the request was a copy). It reports the job as it
     * was recorded, {@code queued}: the dispatch happens before this answer, and a fast runner's
     * first callback may already have moved the job on (to {@code preparing},
     * {@code fetching_metadata}, even {@code failed}), which is neither of the contract's
     * {@code queued|running} and would race with the client's first poll.
     */
    @SuppressWarnings("unchecked")
    public String accepted(Exchange exchange) {
        String jobId = exchange.getProperty(Names.JOB_ID, String.class);
        String replayed = exchange.getProperty(Names.REPLAY_RESPONSE, String.class);
        String response = replayed != null ? replayed : acceptedBody(jobId);
        CompletableFuture<String> pending = exchange.getProperty(PENDING, CompletableFuture.class);
        if (pending != null) {
            pending.complete(response);
        }
        return response;
    }

    private static String acceptedBody(String jobId) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobId", jobId);
        m.put("status", "queued");
        return Json.write(m);
    }

    /** Serialised documents of terminal jobs, by job id and record version: a terminal job changes only with its callback's state. */
    private final com.github.benmanes.caffeine.cache.Cache<String, String> terminalDocuments =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(10_000).build();

    /** The job document as JSON; the body is the Job read from the cache. A terminal job's is kept until its record changes. */
    public String document(Job job) {
        if (job.isTerminal() && job.version != null) {
            return terminalDocuments.get(job.jobId + "@" + job.version, k -> Json.write(job.document(0)));
        }
        return Json.write(job.document(jobs.queuePosition(job.jobId)));
    }

    public void notFound() {
        throw new HttpError(404, "not found");
    }
}
