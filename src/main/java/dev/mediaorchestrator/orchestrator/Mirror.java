package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.CappedInputStream;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.StreamingGet;
import dev.mediaorchestrator.common.Tracing;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Mirrors a job's inputs from the Next app into the bucket, streaming (never a whole file in
 * memory), skipping inputs already there, and leaving no object behind when the source fails.
 * Whose fault a failure is decides the answer: the app's source (unreachable, an error status,
 * ending early, failing while streaming) is a 502 naming the source; the store (refused, timed
 * out, full) is a 503 naming the bucket ({@link dev.mediaorchestrator.storage.StoreUnavailable}).
 */
public final class Mirror {
    private static final Logger LOG = LoggerFactory.getLogger(Mirror.class);

    private final Config config;
    private final Storage storage;
    private final Duration connectTimeout;
    /** The first byte, and then each read, may take this long (APP_READ_TIMEOUT_SECONDS). */
    private final Duration readTimeout;
    /**
     * Fetches from the app at once (MIRROR_CONCURRENCY): an app that never answers holds at most
     * these threads, never all the threads that serve status, health and callbacks.
     */
    private final Semaphore slots;
    /** Requests waiting on the app at once, fetching or waiting for another's fetch of the same object. */
    private final Semaphore waiters;
    private final Map<String, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;

    public Mirror(Config config, Storage storage) {
        this.config = config;
        this.storage = storage;
        this.connectTimeout = Duration.ofSeconds(config.appConnectTimeoutSeconds);
        this.readTimeout = Duration.ofSeconds(config.appReadTimeoutSeconds);
        this.slots = new Semaphore(config.mirrorConcurrency);
        this.waiters = new Semaphore(config.mirrorConcurrency * 4);
    }

    /** Where this mirror reports to (observability; nothing until set). */
    private volatile Tracing tracing = Tracing.OFF;

    /** Each fetch from the app a span of the job's trace (nothing until set). */
    public void setTracing(Tracing tracing) {
        this.tracing = tracing;
    }

    public void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
    }

    /** Bean entry point from the jobs route: mirrors every input of the request's engine. */
    public void ensureInputs(JobRequest request) {
        if (!config.mirrorInputs) {
            return;
        }
        for (Engine.InputKind kind : request.engine().inputs) {
            ensure(request.mediaId(), kind);
        }
    }

    void ensure(String mediaId, Engine.InputKind kind) {
        String key = kind.key(mediaId);
        if (storage.exists(key)) {
            LOG.debug("input {} already in the bucket", key);
            return;
        }
        if (config.nextBaseUrl == null) {
            throw new HttpError(502, kind.fetchError(), Map.of("detail", "NEXT_BASE_URL is not set and " + key + " is not in the bucket"));
        }
        // One fetch per object at a time: the requests for an object already being fetched wait for
        // that fetch (and share its outcome) instead of fetching it again. Fetches and waiters are
        // both bounded; beyond, the request is refused at once.
        if (!waiters.tryAcquire()) {
            throw busy();
        }
        try {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> running = inFlight.putIfAbsent(key, mine);
            if (running != null) {
                await(running);
                return;
            }
            try {
                if (!slots.tryAcquire()) {
                    throw busy();
                }
                try {
                    tracing.inSpan("mirror " + key, true, span -> {
                        fetch(mediaId, kind, key);
                        return null;
                    });
                } finally {
                    slots.release();
                }
                mine.complete(null);
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                inFlight.remove(key, mine);
            }
        } finally {
            waiters.release();
        }
    }

    private static HttpError busy() {
        return new HttpError(503, "too many sources being fetched from the app, retry").withRetryAfter(5);
    }

    private void await(CompletableFuture<Void> running) {
        try {
            running.get(connectTimeout.plus(readTimeout).multipliedBy(4).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof HttpError h) {
                throw h; // the same answer as the request that fetched (a 502 naming the source, a 503 naming the bucket)
            }
            throw new HttpError(503, "fetching the source failed, retry").withRetryAfter(5);
        } catch (TimeoutException e) {
            throw busy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw busy();
        }
    }

    private void fetch(String mediaId, Engine.InputKind kind, String key) {
        URI source = URI.create(config.nextBaseUrl + "/api/media/" + mediaId + "/" + kind.nextPath);
        StreamingGet resp;
        try {
            resp = StreamingGet.open(source, connectTimeout, readTimeout);
        } catch (IOException e) {
            throw new HttpError(502, kind.fetchError(), Map.of("detail", "source unreachable: " + e.getClass().getSimpleName()));
        }
        try (resp; InputStream in = resp.body()) {
            if (resp.status() != 200) {
                throw new HttpError(502, kind.fetchError(), Map.of("detail", "source answered " + resp.status()));
            }
            OptionalLong declared = resp.contentLength();
            if (kind == Engine.InputKind.SUBTITLES && declared.isPresent() && declared.getAsLong() > config.maxSubtitlesBytes) {
                throw HttpError.badRequest(Config.subtitlesTooLarge(declared.getAsLong(), config.maxSubtitlesBytes));
            }
            // subtitles sent without a length (chunked) are bounded while they stream: nothing is stored past the limit
            InputStream body = kind == Engine.InputKind.SUBTITLES ? new CappedInputStream(in, config.maxSubtitlesBytes) : in;
            Storage.ObjectInfo info;
            try {
                info = storage.put(key, metrics.mirrored(key, body), kind.contentType, declared.orElse(-1));
            } catch (EOFException e) {
                throw new HttpError(502, kind.fetchError(), Map.of("detail", "source ended early"));
            } catch (CappedInputStream.TooLarge e) {
                throw HttpError.badRequest(Config.subtitlesTooLarge(config.maxSubtitlesBytes));
            }
            if (declared.isPresent() && declared.getAsLong() != info.size()) {
                storage.delete(key);
                throw new HttpError(502, kind.fetchError(), Map.of("detail", "source ended early"));
            }
            LOG.info("mirrored {} ({} bytes)", key, info.size());
        } catch (IOException e) {
            // Storage rethrows only the source's own failures as IOException; the store's are StoreUnavailable (503)
            throw new HttpError(502, kind.fetchError(), Map.of("detail", "source failed while streaming"));
        }
    }
}
