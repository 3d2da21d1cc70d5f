package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.CappedInputStream;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.VertxStreams;
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
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code PUT|POST /upload/{jobId}?kind=&exp=&sig=} (fallback mode, CONTRACT.md transfer modes): a
 * runner's output, or a segmented burn's segment, streamed from the Vert.x request into the job's
 * key in the bucket (the route runs with platform-http's body handler off, so nothing is buffered
 * whole), then the job's outputs checked ({@link CompletionCheck}). A refused upload ends its
 * request once the answer is out, so a client still sending is not left blocked.
 */
public final class Uploads {
    private static final Logger LOG = LoggerFactory.getLogger(Uploads.class);
    /**
     * The body size limit of {@code /upload}: the largest object one streamed upload can make
     * (S3 takes at most 10,000 parts of {@link Storage#PART_SIZE}); past it the store would refuse
     * the upload half-way.
     */
    static final long MAX_UPLOAD_BYTES = 10_000L * Storage.PART_SIZE;

    private final JobStore jobs;
    private final Storage storage;
    private final UrlSignatures signatures;
    private final CompletionCheck completion;
    private volatile OrchestratorEvents metrics = OrchestratorEvents.NONE;

    public Uploads(JobStore jobs, Storage storage, Hmac hmac, CompletionCheck completion, Clock clock) {
        this.jobs = jobs;
        this.storage = storage;
        this.signatures = new UrlSignatures(hmac, clock);
        this.completion = completion;
    }

    /** Where the uploaded bytes are counted (observability; nothing until set). */
    public void setMetrics(OrchestratorEvents metrics) {
        this.metrics = metrics;
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
        signatures.check("PUT", "/upload/" + jobId, kindId, m);
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
        try (InputStream in = new CappedInputStream(metrics.uploaded(key, VertxStreams.body(request)), MAX_UPLOAD_BYTES)) {
            info = storage.put(key, in, target.contentType(), declaredLength(request));
        } catch (CappedInputStream.TooLarge e) {
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
}
