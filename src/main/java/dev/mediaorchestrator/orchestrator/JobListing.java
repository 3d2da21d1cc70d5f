package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /jobs}: the jobs newest first, with filters, a limit and an opaque cursor, for the
 * dashboard. Served from the job store: a summary of every job this process has learned of (created
 * or changed here, read from the bucket), brought in line with the bucket's records at most every
 * {@value #REFRESH_MS} ms (one listing of {@code state/jobs/}; a record that is new or changed since
 * it was last read is read once) — so the listing survives restarts and shows other replicas' jobs.
 * Summaries hold no options (no URLs, cookies or proxy passwords).
 *
 * <p>A refresh runs in the background, one at a time; a request waits for it at most
 * {@value #WAIT_MS} ms and then answers what is known with {@code "partial": true}. The first
 * refresh of a process reads every retained record (minutes at 100 000 jobs on R2): meanwhile the
 * listing answers at once, and no request thread waits on another's refresh.
 */
public final class JobListing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JobListing.class);
    static final long REFRESH_MS = 2_000;
    /** How long a request waits for a refresh before it answers what is known. */
    static final long WAIT_MS = 1_000;
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;
    private static final Set<String> STATUSES = Set.of("queued", "preparing", "fetching_metadata", "running", "uploading",
            "completed", "failed", "canceled");
    private static final Pattern CURSOR = Pattern.compile("(\\d{1,19}):(job_[a-z2-7]{26})");

    /** What the listing and the live events show of a job. */
    public record Summary(String jobId, String mediaId, Engine engine, String status, String phase, double progress,
                          long createdAt, long ts, Long durationMs, String error, int runs, int attempts,
                          boolean callbackDelivered, String version) {
        public static Summary of(Job j) {
            return new Summary(j.jobId, j.mediaId, j.engine, j.status, j.phase, j.progress, j.createdAt, j.ts,
                    j.durationMs, j.error, j.runs, j.attempts, j.callback.delivered(), j.version);
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("jobId", jobId);
            m.put("mediaId", mediaId);
            m.put("engine", engine.id);
            m.put("status", status);
            m.put("phase", phase);
            m.put("progress", progress);
            m.put("createdAt", createdAt);
            m.put("ts", ts);
            m.put("durationMs", durationMs);
            m.put("error", error);
            m.put("runs", runs);
            m.put("attempts", attempts);
            m.put("callbackDelivered", callbackDelivered);
            return m;
        }
    }

    private final JobStore jobs;
    private final Clock clock;
    private final Map<String, Summary> byId = new ConcurrentHashMap<>();
    /** Per record: its last-modified time when this process last read it, and when that was. */
    private final Map<String, long[]> readAt = new ConcurrentHashMap<>();
    private final ExecutorService readers;
    private final ExecutorService refresher;
    private volatile long refreshedAt;
    /** The refresh under way, null when none is (guarded by this). */
    private CompletableFuture<Void> running;

    public JobListing(JobStore jobs, Clock clock) {
        this(jobs, clock, Pools.PLAIN);
    }

    public JobListing(JobStore jobs, Clock clock, Pools pools) {
        this.readers = pools.fixed("job-listing", 4);
        this.refresher = pools.fixed("job-listing-refresh", 1);
        this.jobs = jobs;
        this.clock = clock;
    }

    /** A version of a job this process learned (a step of {@code direct:job-changed}): listed at once. */
    public void learn(Job j) {
        byId.merge(j.jobId, Summary.of(j), (old, neu) -> neu.ts >= old.ts ? neu : old);
    }

    /**
     * Starts a refresh when none is under way and the last one is {@value #REFRESH_MS} ms old or
     * more, and waits for the one under way at most {@value #WAIT_MS} ms. Returns false when it is
     * still under way (the summaries may lack jobs of the bucket).
     */
    boolean refresh() {
        CompletableFuture<Void> underWay;
        synchronized (this) {
            if (running == null && clock.millis() - refreshedAt >= REFRESH_MS) {
                CompletableFuture<Void> started = new CompletableFuture<>();
                running = started; // set before the task can end and clear it (it needs this lock)
                try {
                    refresher.execute(() -> {
                        try {
                            refreshNow();
                        } catch (RuntimeException e) {
                            LOG.warn("refreshing the job listing failed: {}", e.toString());
                        } finally {
                            synchronized (this) {
                                running = null;
                            }
                            started.complete(null);
                        }
                    });
                } catch (RejectedExecutionException e) {
                    running = null; // closing
                    return true;
                }
            }
            underWay = running;
        }
        if (underWay == null) {
            return true;
        }
        try {
            underWay.get(WAIT_MS, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Brings the summaries in line with the bucket (on the refresher thread). */
    private void refreshNow() {
        long now = clock.millis();
        List<Storage.Listed> listed;
        try {
            listed = jobs.records();
        } catch (RuntimeException e) {
            LOG.warn("cannot list the job records (the listing shows what this process knows): {}", e.getClass().getSimpleName());
            return;
        }
        Set<String> ids = new HashSet<>();
        List<Future<?>> reads = new ArrayList<>();
        for (Storage.Listed l : listed) {
            String jobId = JobKeys.jobIdOfRecord(l.key());
            if (jobId == null) {
                continue;
            }
            ids.add(jobId);
            long modified = l.lastModified() == null ? Long.MAX_VALUE : l.lastModified().toEpochMilli();
            long[] seen = readAt.get(jobId);
            // stores give last-modified times in whole seconds: a record changed in the second it was read is read again
            if (seen == null || modified > seen[0] || modified + 1000 >= seen[1]) {
                reads.add(readers.submit(() -> {
                    long readTime = clock.millis();
                    jobs.fresh(jobId).ifPresentOrElse(this::learn, () -> byId.remove(jobId)); // gone: past its TTL
                    readAt.put(jobId, new long[]{modified, readTime});
                }));
            }
        }
        for (Future<?> f : reads) {
            try {
                f.get();
            } catch (Exception e) {
                LOG.debug("reading a job record for the listing failed: {}", e.toString());
            }
        }
        // records gone from the bucket (retention) leave the listing; jobs created since the listing began stay
        byId.values().removeIf(s -> !ids.contains(s.jobId()) && s.createdAt() < now - REFRESH_MS);
        readAt.keySet().retainAll(ids);
        refreshedAt = clock.millis();
    }

    /** {@code GET /jobs/} (Vert.x routes it here with {@code GET /jobs}) stays the contract's 400. */
    public void rejectEmptyId(Exchange exchange) {
        String uri = exchange.getMessage().getHeader(Exchange.HTTP_URI, String.class);
        String path = exchange.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
        if ((uri != null && uri.split("\\?", 2)[0].endsWith("/")) || (path != null && path.endsWith("/"))) {
            throw new HttpError(400, "jobId required");
        }
    }

    /** {@code GET /jobs?status=&engine=&mediaId=&limit=&cursor=}. */
    public String list(Exchange exchange) {
        String status = param(exchange, "status");
        String engine = param(exchange, "engine");
        String mediaId = param(exchange, "mediaId");
        String limit = param(exchange, "limit");
        String cursor = param(exchange, "cursor");
        return Json.write(page(status, engine, mediaId, limit, cursor));
    }

    private static String param(Exchange exchange, String name) {
        String v = exchange.getMessage().getHeader(name, String.class);
        return v == null || v.isEmpty() ? null : v;
    }

    /** One page, newest first: {@code {"jobs": [summary…], "nextCursor": "…"|null}}. */
    public Map<String, Object> page(String status, String engineId, String mediaId, String limitText, String cursor) {
        if (status != null && !STATUSES.contains(status)) {
            throw HttpError.badRequest("status must be one of " + new TreeSet<>(STATUSES));
        }
        Engine engine = engineId == null ? null : Engine.of(engineId)
                .orElseThrow(() -> HttpError.badRequest("engine must be burner-ffmpeg, media-downloader or renderer-remotion"));
        if (mediaId != null && !JobRequest.MEDIA_ID.matcher(mediaId).matches()) {
            throw HttpError.badRequest("mediaId is not a valid media id");
        }
        int limit = DEFAULT_LIMIT;
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw HttpError.badRequest("limit must be a whole number from 1 to " + MAX_LIMIT);
            }
        }
        long afterCreated = Long.MAX_VALUE;
        String afterId = null;
        if (cursor != null) {
            String decoded;
            try {
                decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                decoded = "";
            }
            Matcher m = CURSOR.matcher(decoded);
            if (!m.matches()) {
                throw HttpError.badRequest("cursor is not one this service gave");
            }
            afterCreated = Long.parseLong(m.group(1));
            afterId = m.group(2);
        }
        boolean complete = refresh();
        Comparator<Summary> newestFirst = Comparator.comparingLong(Summary::createdAt).reversed()
                .thenComparing(Summary::jobId, Comparator.reverseOrder());
        List<Summary> matching = new ArrayList<>();
        for (Summary s : byId.values()) {
            if ((status == null || status.equals(s.status())) && (engine == null || engine == s.engine())
                    && (mediaId == null || mediaId.equals(s.mediaId()))
                    && (afterId == null || s.createdAt() < afterCreated
                        || (s.createdAt() == afterCreated && s.jobId().compareTo(afterId) < 0))) {
                matching.add(s);
            }
        }
        matching.sort(newestFirst);
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, matching.size()); i++) {
            Map<String, Object> m = matching.get(i).toMap();
            int position = jobs.queuePosition(matching.get(i).jobId());
            if (position > 0) {
                m.put("queuePosition", position);
            }
            out.add(m);
        }
        String next = null;
        if (matching.size() > limit) {
            Summary last = matching.get(limit - 1);
            next = Base64.getUrlEncoder().withoutPadding()
                    .encodeToString((last.createdAt() + ":" + last.jobId()).getBytes(StandardCharsets.UTF_8));
        }
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("jobs", out);
        page.put("nextCursor", next);
        if (!complete) {
            page.put("partial", true); // the bucket's records are still being read: ask again shortly
        }
        return page;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        readers.shutdownNow();
    }
}
