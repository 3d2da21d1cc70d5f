package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.common.VertxStreams;
import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The Next app's part, for all-in-one local use without one (no {@code NEXT_BASE_URL}): media
 * sources from a directory ({@code MEDIA_DIR/{mediaId}.mp4|.vtt|.json}) and a terminal-callback
 * receiver that checks the signature and appends each callback to {@code DATA_DIR/callbacks.jsonl}.
 * The orchestrator reaches both over HTTP, exactly as it would reach the real app.
 */
public final class LocalApp {
    private static final Logger LOG = LoggerFactory.getLogger(LocalApp.class);
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "canceled");

    private final Config config;
    private final ReplayCache replay;
    private final Path callbacksFile;

    public LocalApp(Config config, ReplayCache replay) {
        this.config = config;
        this.replay = replay;
        this.callbacksFile = config.dataDir.resolve("callbacks.jsonl");
    }

    /** {@code GET /api/media/{mediaId}/source|subtitles|comments-data}. */
    public void media(Exchange exchange) throws IOException {
        String mediaId = exchange.getMessage().getHeader("mediaId", String.class);
        String what = exchange.getMessage().getHeader("what", String.class);
        String suffix = what == null ? null : switch (what) {
            case "source" -> ".mp4";
            case "subtitles" -> ".vtt";
            case "comments-data" -> ".json";
            default -> null;
        };
        if (suffix == null || mediaId == null || !JobRequest.MEDIA_ID.matcher(mediaId).matches()) {
            throw new HttpError(404, "not found");
        }
        Path file = config.mediaDir.resolve(mediaId + suffix);
        if (!Files.isRegularFile(file)) {
            throw new HttpError(404, "not found");
        }
        HttpServerRequest request = (HttpServerRequest) exchange.getMessage().getBody();
        String type = switch (suffix) {
            case ".mp4" -> "video/mp4";
            case ".vtt" -> "text/vtt; charset=utf-8";
            default -> "application/json";
        };
        try (InputStream in = Files.newInputStream(file)) {
            VertxStreams.respond(request.response(), 200, Map.of("Content-Type", type), in, Files.size(file),
                    "HEAD".equals(request.method().name()));
        }
    }

    /** {@code POST /api/render/cf-callback}, after the signature and ts checks. */
    public String callback(Map<String, Object> body, Exchange exchange) throws IOException {
        // only what the orchestrator sends is recorded: a terminal callback of one of its jobs
        if (!(body.get("jobId") instanceof String jobId) || !JobKeys.isJobId(jobId)) {
            throw HttpError.badRequest("jobId is required (job_ and 26 base32 characters)");
        }
        if (!(body.get("status") instanceof String status) || !TERMINAL.contains(status)) {
            throw HttpError.badRequest("status must be completed, failed or canceled");
        }
        String signature = exchange.getProperty(Names.SIGNATURE, String.class);
        String nonce = exchange.getProperty(Names.NONCE, String.class);
        if (replay.claim(Arrays.asList("local-cb-sig:" + signature, nonce == null ? null : "local-cb-nonce:" + nonce), Boolean.TRUE) != null) {
            return Json.write(Map.of("ok", true, "duplicate", true));
        }
        synchronized (this) {
            Files.createDirectories(callbacksFile.getParent());
            Files.writeString(callbacksFile, Json.write(body) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        LOG.info("[cf-callback] recorded {} for job {} in {}", body.get("status"), body.get("jobId"), callbacksFile);
        return Json.write(Map.of("ok", true));
    }
}
