package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.ByteRange;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
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

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Streams objects between HTTP and the bucket: {@code GET|HEAD /artifacts/{jobId}} and the
 * fallback transfers {@code GET /inputs/{mediaId}/{kind}} and {@code PUT|POST /upload/{jobId}}.
 * The routes run these with platform-http's body handler off, so the body is the Vert.x request
 * and nothing is buffered whole; responses (with Range) are written straight to Vert.x.
 *
 * <p>A body is given one of three ways, all after the same checks (job, kind, URL signature,
 * object present, Range): a {@code 302} to a presigned GET of the store ({@code /artifacts} with
 * ARTIFACTS_REDIRECT; the client's {@code Range} then goes to the store); the embedded store's file
 * sent by the kernel ({@link VertxStreams#sendFile}); or the relay (read from the store, written on
 * in bounded chunks), for every other store and whenever the file is not the plain object.
 */
public final class Artifacts {
    private static final Logger LOG = LoggerFactory.getLogger(Artifacts.class);
    /**
     * The body size limit of {@code /upload}: the largest object one streamed upload can make
     * (S3 takes at most 10,000 parts of {@link Storage#PART_SIZE}); past it the store would refuse
     * the upload half-way.
     */
    static final long MAX_UPLOAD_BYTES = 10_000L * Storage.PART_SIZE;

    private final Config config;
    private final JobStore jobs;
    private final Storage storage;
    private final Hmac hmac;
    private final CompletionCheck completion;
    private final Clock clock;
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;

    /** Lifetime of the presigned GET a redirect points to (PRESIGN_TTL_SECONDS when that is shorter). */
    static final Duration REDIRECT_TTL = Duration.ofMinutes(5);

    /** The embedded store's files (sent as they are), or null: another store, always relayed. */
    private final EmbeddedFiles files;

    /**
     * @param files the embedded store's files, or null when the bucket is another store
     */
    public Artifacts(Config config, JobStore jobs, Storage storage, EmbeddedFiles files, Hmac hmac, CompletionCheck completion, Clock clock) {
        this.config = config;
        this.files = files;
        this.jobs = jobs;
        this.storage = storage;
        this.hmac = hmac;
        this.completion = completion;
        this.clock = clock;
        this.relays = new java.util.concurrent.Semaphore(config.artifactConcurrency);
    }

    private final java.util.concurrent.Semaphore relays;

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
        checkUrlSignature("GET", "/inputs/" + mediaId + "/" + kind.id, kind.id, m);
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
        checkUrlSignature("GET", "/segments/" + jobId + "/" + index, BurnTasks.SEGMENT_URL_KIND, m);
        Job job = jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        int i = Integer.parseInt(index);
        if (job.segments == null || job.segments.mode != SegmentedBurn.Mode.SPLIT || i >= job.segments.segments.size()) {
            throw new HttpError(404, "not found");
        }
        serve(exchange, BurnTasks.segmentKey(job, i), "video/mp4", false);
    }

    /** {@code PUT|POST /upload/{jobId}?kind=&exp=&sig=} (fallback mode): streams the body into the job's key. */
    public String upload(Exchange exchange) throws IOException {
        try {
            return receive(exchange);
        } catch (HttpError e) {
            if (exchange.getMessage().getBody() instanceof HttpServerRequest request && !request.isEnded()) {
                closeAfterAnswer(request);
            }
            throw e;
        }
    }

    /** How much of a refused upload's body an HTTP/2 stream reads and discards after its answer. */
    static final long REFUSED_DRAIN_BYTES = 8L << 20;

    /**
     * A refusal of an upload whose body was not read ends the request once the answer is on the
     * wire: a client still sending (a runner streaming gigabytes) gets an error at once instead of
     * blocking in its write on a connection nobody reads. On HTTP/1.x that means closing the
     * connection.
     * <p>On HTTP/2 (h2c) the request is one stream of a connection other requests share, and closing
     * the connection sends GOAWAY: the other streams fail, and Java 17's client fails the refused
     * request itself with "GOAWAY received" instead of giving it its answer. A reset of the stream
     * alone (RST_STREAM NO_ERROR after the answer, RFC 9113 §8.1) is what curl, Go and nghttp2
     * expect, but Java 17's client, blocked on the stream's flow-control window, never reads the
     * answer or the reset. So the stream reads and discards the rest of the body after the answer
     * (compliant clients stop sending when the answer arrives); past {@link #REFUSED_DRAIN_BYTES}
     * it is reset and the connection closed, as on HTTP/1.x.
     */
    private static void closeAfterAnswer(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        if (request.version() != HttpVersion.HTTP_2) {
            response.putHeader("Connection", "close");
            response.bodyEndHandler(v -> request.connection().close());
            return;
        }
        response.bodyEndHandler(v -> {
            if (request.isEnded()) {
                return; // the whole body came in the meantime (Vert.x refuses a handler then)
            }
            long[] discarded = {0};
            request.exceptionHandler(e -> { });
            request.handler(buffer -> {
                discarded[0] += buffer.length();
                if (discarded[0] > REFUSED_DRAIN_BYTES) {
                    request.handler(null);
                    response.reset(0);
                    request.connection().close();
                }
            });
            request.resume();
        });
    }

    private String receive(Exchange exchange) throws IOException {
        Message m = exchange.getMessage();
        String jobId = m.getHeader("jobId", String.class);
        String kindId = m.getHeader("kind", String.class) == null ? "video" : m.getHeader("kind", String.class);
        checkUrlSignature("PUT", "/upload/" + jobId, kindId, m);
        Job job = jobs.get(jobId).orElseThrow(() -> new HttpError(404, "not found"));
        Upload target = uploadTarget(job, kindId);
        if (job.isTerminal()) {
            throw new HttpError(409, "job is " + job.status);
        }
        if (!(m.getBody() instanceof HttpServerRequest request)) {
            throw new IllegalStateException("upload route must run without the body handler");
        }
        if (declaredLength(request) > MAX_UPLOAD_BYTES) {
            throw tooLarge();
        }
        String key = target.key();
        Storage.ObjectInfo info;
        try (InputStream in = new Capped(metrics.uploaded(key, VertxStreams.body(request)))) {
            info = storage.put(key, in, target.contentType(), declaredLength(request));
        } catch (Capped.TooLarge e) {
            throw tooLarge();
        } catch (IOException e) {
            LOG.warn("upload {} for job {} failed: {}", kindId, jobId, e.getMessage());
            throw new HttpError(400, "upload failed");
        }
        LOG.info("upload {} for job {} ({} bytes)", kindId, jobId, info.size());
        completion.checkOutputs(job);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        r.put("outputKey", key);
        if (target.query() != null) {
            r.put("outputUrl", "/artifacts/" + jobId + target.query());
        }
        return Json.write(r);
    }

    /** Where an upload of {@code kindId} for {@code job} goes. */
    private record Upload(String key, String contentType, String query) {
    }

    private static Upload uploadTarget(Job job, String kindId) {
        int segment = BurnTasks.segmentOfKind(kindId);
        if (segment >= 0) {
            // a segmented burn's segment (docs/segmented-burn.md): no artifact of the job, so no outputUrl
            if (job.segments == null || job.segments.mode != SegmentedBurn.Mode.SPLIT || segment >= job.segments.segments.size()) {
                throw HttpError.badRequest("kind is not an output of this job");
            }
            return new Upload(BurnTasks.segmentKey(job, segment), "video/mp4", null);
        }
        if (kindId.startsWith("subtitles.")) {
            String lang = kindId.substring("subtitles.".length());
            if (!job.subtitleLanguages().contains(lang)) {
                throw HttpError.badRequest("kind is not an output of this job");
            }
            return new Upload(job.engine.subtitleKey(job.mediaId, job.jobId, lang), "text/vtt", "?kind=subtitles&lang=" + lang);
        }
        Engine.OutputKind kind = Engine.OutputKind.of(kindId).filter(job.outputs()::contains)
                .orElseThrow(() -> HttpError.badRequest("kind is not an output of " + job.engine.id));
        return new Upload(job.outputKey(kind), kind.contentType, kind == Engine.OutputKind.VIDEO ? "" : "?kind=" + kind.id);
    }

    private static long declaredLength(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        try {
            return length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE; // more digits than a long: too large
        }
    }

    private static HttpError tooLarge() {
        return new HttpError(413, "body too large (limit " + MAX_UPLOAD_BYTES + " bytes)");
    }

    /** Fails a read past {@link #MAX_UPLOAD_BYTES}; the multipart upload is then aborted and nothing is stored. */
    private static final class Capped extends java.io.FilterInputStream {
        static final class TooLarge extends IOException {
        }

        private long read;

        Capped(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count(Math.max(n, 0));
            return n;
        }

        private void count(int n) throws TooLarge {
            read += n;
            if (read > MAX_UPLOAD_BYTES) {
                throw new TooLarge();
            }
        }
    }

    private void checkUrlSignature(String method, String path, String kind, Message m) {
        String exp = m.getHeader("exp", String.class);
        String sig = m.getHeader("sig", String.class);
        // strict: the decimal digits the orchestrator writes, no sign, no leading zero, no spaces
        if (exp == null || !exp.matches("[1-9][0-9]{0,11}")) {
            throw new HttpError(403, "forbidden");
        }
        long expires = Long.parseLong(exp);
        if (expires < clock.instant().getEpochSecond() || !hmac.verifyUrl(method, path, kind, expires, sig)) {
            throw new HttpError(403, "forbidden");
        }
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
            VertxStreams.respond(request.response(), 416, headers, new java.io.ByteArrayInputStream(body), body.length, head);
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
