package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.ByteRange;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.VertxStreams;
import dev.mediaorchestrator.storage.EmbeddedFiles;
import dev.mediaorchestrator.storage.Storage;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/**
 * Serves objects of the bucket over HTTP: {@code GET|HEAD /artifacts/{jobId}} and the fallback
 * transfers {@code GET /inputs/{mediaId}/{kind}} and {@code GET /segments/{jobId}/{index}} (the
 * uploads are {@link Uploads}). The routes run these with platform-http's body handler off, so the
 * body is the Vert.x request; responses (with Range) are written straight to Vert.x.
 *
 * <p>A body is given one of three ways, all after the same checks (job, kind, URL signature,
 * object present, Range): a {@code 302} to a presigned GET of the store ({@code /artifacts} with
 * ARTIFACTS_REDIRECT; the client's {@code Range} then goes to the store); the embedded store's file
 * sent by the kernel ({@link VertxStreams#sendFile}); or the relay (read from the store, written on
 * in bounded chunks), for every other store and whenever the file is not the plain object.
 */
public final class Artifacts {
    private static final Logger LOG = LoggerFactory.getLogger(Artifacts.class);

    private final Config config;
    private final JobStore jobs;
    private final Storage storage;
    private final UrlSignatures signatures;
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;

    /** Lifetime of the presigned GET a redirect points to (PRESIGN_TTL_SECONDS when that is shorter). */
    static final Duration REDIRECT_TTL = Duration.ofMinutes(5);

    /** The embedded store's files (sent as they are), or null: another store, always relayed. */
    private final EmbeddedFiles files;
    /** Bodies relayed at once: ARTIFACT_CONCURRENCY. */
    private final Semaphore relays;

    /**
     * @param files the embedded store's files, or null when the bucket is another store
     */
    public Artifacts(Config config, JobStore jobs, Storage storage, EmbeddedFiles files, Hmac hmac, Clock clock) {
        this.config = config;
        this.files = files;
        this.jobs = jobs;
        this.storage = storage;
        this.signatures = new UrlSignatures(hmac, clock);
        this.relays = new Semaphore(config.artifactConcurrency);
    }

    /** Where this endpoint reports to (observability; nothing until set). */
    public void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
    }

    /**
     * {@code GET|HEAD /artifacts/{jobId}[?kind=video|audio|metadata|thumbnail|subtitles&lang=][&redirect=false]}.
     * With ARTIFACTS_REDIRECT a GET is a 302 to the store unless the request says
     * {@code redirect=false} (a client that cannot follow redirects).
     */
    public void artifact(Exchange exchange) throws IOException {
        Message m = exchange.getMessage();
        Job job = jobs.get(m.getHeader("jobId", String.class)).orElseThrow(() -> new HttpError(404, "not found"));
        boolean redirect = config.artifactsRedirect && !optedOutOfRedirect(m.getHeader("redirect", String.class));
        String kindId = m.getHeader("kind", String.class);
        if ("subtitles".equals(kindId)) {
            String lang = m.getHeader("lang", String.class);
            if (lang == null || lang.isEmpty()) {
                throw HttpError.badRequest("lang is required with kind=subtitles");
            }
            if (!job.subtitleLanguages().contains(lang)) {
                throw new HttpError(404, "not found");
            }
            serve(exchange, job.engine.subtitleKey(job.mediaId, job.jobId, lang), "text/vtt", redirect);
            return;
        }
        Engine.OutputKind kind = outputKind(kindId);
        if (!job.outputs().contains(kind)) {
            throw new HttpError(404, "not found");
        }
        serve(exchange, job.outputKey(kind), kind.contentType, redirect);
    }

    /** {@code redirect=false}: this request wants the bytes from the orchestrator, not a 302. */
    private static boolean optedOutOfRedirect(String value) {
        if (value == null || value.isEmpty() || value.equals("true")) {
            return false;
        }
        if (value.equals("false")) {
            return true;
        }
        throw HttpError.badRequest("redirect must be true or false");
    }

    /** {@code GET|HEAD /inputs/{mediaId}/{kind}?exp=&sig=} (fallback mode). */
    public void input(Exchange exchange) throws IOException {
        Message m = exchange.getMessage();
        String mediaId = m.getHeader("mediaId", String.class);
        String kindId = m.getHeader("kind", String.class);
        Engine.InputKind kind = Engine.InputKind.of(kindId).orElse(null);
        if (mediaId == null || !JobRequest.MEDIA_ID.matcher(mediaId).matches() || kind == null) {
            throw new HttpError(404, "not found");
        }
        signatures.check("GET", "/inputs/" + mediaId + "/" + kind.id, kind.id, m);
        serve(exchange, kind.key(mediaId), kind.contentType, false);
    }

    /**
     * {@code GET|HEAD /segments/{jobId}/{index}?exp=&sig=} (fallback mode): a segmented burn's segment,
     * for its join (docs/segmented-burn.md §6); orchestrator-signed like {@code /inputs}.
     */
    public void segment(Exchange exchange) throws IOException {
        Message m = exchange.getMessage();
        String jobId = m.getHeader("jobId", String.class);
        String index = m.getHeader("index", String.class);
        if (index == null || !index.matches("[0-9]{1,3}")) {
            throw new HttpError(404, "not found");
        }
        signatures.check("GET", "/segments/" + jobId + "/" + index, BurnTasks.SEGMENT_URL_KIND, m);
        Job job = jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        int i = Integer.parseInt(index);
        if (job.segments == null || job.segments.mode != SegmentedBurn.Mode.SPLIT || i >= job.segments.segments.size()) {
            throw new HttpError(404, "not found");
        }
        serve(exchange, BurnTasks.segmentKey(job, i), "video/mp4", false);
    }

    private static Engine.OutputKind outputKind(String kind) {
        if (kind == null || kind.isEmpty()) {
            return Engine.OutputKind.VIDEO;
        }
        return Engine.OutputKind.of(kind).orElseThrow(() -> HttpError.badRequest("kind must be video, audio, metadata, thumbnail or subtitles"));
    }

    /** Answers with the object at {@code key}; {@code redirect}: a GET with a body to send becomes a 302 to the store. */
    private void serve(Exchange exchange, String key, String contentType, boolean redirect) throws IOException {
        if (!(exchange.getMessage().getBody() instanceof HttpServerRequest request)) {
            throw new IllegalStateException("artifact routes must run without the body handler");
        }
        Storage.ObjectInfo info = storage.head(key).orElseThrow(() -> new HttpError(404, "not found"));
        boolean head = "HEAD".equals(request.method().name());
        ByteRange range = ByteRange.parse(request.getHeader("Range"), info.size());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept-Ranges", "bytes");
        headers.put("Content-Type", info.contentType() != null ? info.contentType() : contentType);
        if (info.etag() != null) {
            headers.put("ETag", info.etag().startsWith("\"") ? info.etag() : "\"" + info.etag() + "\"");
        }
        if (range.kind() == ByteRange.Kind.UNSATISFIABLE) {
            headers.put("Content-Range", range.contentRange(info.size()));
            headers.put("Content-Type", "application/json");
            byte[] body = "{\"error\":\"range not satisfiable\"}".getBytes();
            VertxStreams.respond(request.response(), 416, headers, new ByteArrayInputStream(body), body.length, head);
            return;
        }
        if (head || info.size() == 0) {
            if (range.kind() == ByteRange.Kind.PARTIAL) {
                headers.put("Content-Range", range.contentRange(info.size()));
            }
            VertxStreams.respond(request.response(), range.kind() == ByteRange.Kind.PARTIAL ? 206 : 200, headers, null,
                    info.size() == 0 ? 0 : range.length(), true);
            return;
        }
        boolean partial = range.kind() == ByteRange.Kind.PARTIAL;
        if (partial) {
            headers.put("Content-Range", range.contentRange(info.size()));
        }
        if (redirect) {
            redirect(request.response(), key, headers.get("Content-Type"));
            return;
        }
        // HTTP/1.x only: there Vert.x writes the head and hands the file to Netty before sendFile
        // returns (Camel then sees an ended response and writes nothing); on HTTP/2 (h2c) it opens
        // the file later and copies it through buffers anyway, so the relay serves those requests
        Optional<Path> file = files == null || request.version() == HttpVersion.HTTP_2 ? Optional.empty() : files.fileOf(info);
        if (file.isPresent() && sendFile(request.response(), key, partial ? 206 : 200, headers, file.get(), range)) {
            return;
        }
        relay(request.response(), key, partial ? 206 : 200, headers, range);
    }

    /**
     * {@code 302} to a presigned GET of the object, signed for the endpoint the app reaches the store
     * by, with the Content-Type the relay would send; minted per request, short-lived, not cacheable.
     */
    private void redirect(HttpServerResponse response, String key, String contentType) {
        Duration ttl = Duration.ofSeconds(Math.min(REDIRECT_TTL.toSeconds(), config.presignTtlSeconds));
        URI location = storage.presignPublicDownload(key, ttl, contentType);
        metrics.artifactAnswered(key, "redirect");
        response.setStatusCode(302)
                .putHeader("Location", location.toString())
                .putHeader("Cache-Control", "no-store")
                .putHeader("Content-Length", "0")
                .end();
    }

    /**
     * The embedded store's file, sent by the kernel: no thread waits and no buffer is held, so these
     * answers are outside ARTIFACT_CONCURRENCY (which bounds the relay's threads and memory).
     * Returns false when nothing was sent (the file went away since it was checked): relay it then.
     */
    private boolean sendFile(HttpServerResponse response, String key, int status, Map<String, String> headers, Path file, ByteRange range) {
        try {
            VertxStreams.sendFile(response, status, headers, file, range.start(), range.length()).onComplete(done -> {
                if (done.succeeded()) {
                    metrics.servedFromFile(key, range.length());
                } else {
                    LOG.debug("artifact {} not fully sent from its file: {}", key, done.cause().toString());
                }
            });
        } catch (IllegalStateException e) {
            LOG.debug("artifact {} not sent: {}", key, e.getMessage()); // the client went away first
            return true;
        }
        if (!response.headWritten()) {
            return false;
        }
        metrics.artifactAnswered(key, "file");
        LOG.debug("artifact {}: {} bytes from {} sent from {}", key, range.length(), range.start(), file);
        return true;
    }

    private void relay(HttpServerResponse response, String key, int status, Map<String, String> headers, ByteRange range) {
        boolean partial = range.kind() == ByteRange.Kind.PARTIAL;
        // Bodies streamed at once are bounded (ARTIFACT_CONCURRENCY): readers that stall hold at
        // most these threads, and each at most a few chunks of memory (VertxStreams.respond).
        if (!relays.tryAcquire()) {
            throw new HttpError(503, "too many downloads in progress, retry").withRetryAfter(2);
        }
        metrics.artifactAnswered(key, "relay");
        try (InputStream in = metrics.served(key, storage.get(key, partial ? range.start() : null, partial ? range.end() : null))) {
            VertxStreams.respond(response, status, headers, in, range.length(), false);
        } catch (IOException e) {
            LOG.debug("artifact {} not fully sent: {}", key, e.getMessage());
        } finally {
            relays.release();
        }
    }
}
