package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.observability.Metrics;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Mirrors a job's inputs from the Next app into the bucket, streaming (never a whole file in
 * memory), skipping inputs already there, and leaving no object behind when the source fails.
 */
public final class Mirror {
    private static final Logger LOG = LoggerFactory.getLogger(Mirror.class);

    private final Config config;
    private final Storage storage;
    private final HttpClient http;
    private volatile Metrics metrics = Metrics.NONE;

    public Mirror(Config config, Storage storage) {
        this.config = config;
        this.storage = storage;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /** Where this mirror reports to (observability; nothing until set). */
    public void setMetrics(Metrics metrics) {
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
        URI source = URI.create(config.nextBaseUrl + "/api/media/" + mediaId + "/" + kind.nextPath);
        HttpRequest req = HttpRequest.newBuilder(source).timeout(Duration.ofMinutes(10)).GET().build();
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new HttpError(502, kind.fetchError(), Map.of("detail", "source unreachable: " + e.getClass().getSimpleName()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(502, kind.fetchError());
        }
        try (InputStream in = resp.body()) {
            if (resp.statusCode() != 200) {
                throw new HttpError(502, kind.fetchError(), Map.of("detail", "source answered " + resp.statusCode()));
            }
            OptionalLong declared = resp.headers().firstValueAsLong("content-length");
            Storage.ObjectInfo info = storage.put(key, metrics.mirrored(key, in), kind.contentType);
            if (declared.isPresent() && declared.getAsLong() != info.size()) {
                storage.delete(key);
                throw new HttpError(502, kind.fetchError(), Map.of("detail", "source ended early"));
            }
            LOG.info("mirrored {} ({} bytes)", key, info.size());
        } catch (IOException e) {
            throw new HttpError(502, kind.fetchError(), Map.of("detail", "source failed while streaming"));
        }
    }
}
