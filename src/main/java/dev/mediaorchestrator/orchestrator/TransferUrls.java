package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.storage.Storage;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;

/**
 * The URLs a runner gets for a job's inputs and outputs, one object each, valid for
 * {@code PRESIGN_TTL_SECONDS}: S3 presigned URLs in direct mode, orchestrator-signed
 * {@code /inputs} and {@code /upload} URLs in fallback mode (CONTRACT.md, transfer modes).
 */
public final class TransferUrls {
    private final Config config;
    private final Storage storage;
    private final Hmac hmac;
    private final Clock clock;

    public TransferUrls(Config config, Storage storage, Hmac hmac, Clock clock) {
        this.config = config;
        this.storage = storage;
        this.hmac = hmac;
        this.clock = clock;
    }

    private Duration ttl() {
        return Duration.ofSeconds(config.presignTtlSeconds);
    }

    private long exp() {
        return clock.instant().getEpochSecond() + config.presignTtlSeconds;
    }

    public String input(String mediaId, Engine.InputKind kind) {
        if (!config.mirrorInputs && config.nextBaseUrl != null) {
            return config.nextBaseUrl + "/api/media/" + mediaId + "/" + kind.nextPath;
        }
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return storage.presignGet(kind.key(mediaId), ttl()).toString();
        }
        String path = "/inputs/" + mediaId + "/" + kind.id;
        long exp = exp();
        return config.orchestratorBaseUrlContainer + path + "?exp=" + exp + "&sig=" + hmac.signUrl("GET", path, kind.id, exp);
    }

    public String output(Job job, Engine.OutputKind kind) {
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return storage.presignPut(job.outputKey(kind), kind.contentType, ttl()).toString();
        }
        String path = "/upload/" + job.jobId;
        long exp = exp();
        return config.orchestratorBaseUrlContainer + path + "?kind=" + kind.id + "&exp=" + exp
                + "&sig=" + hmac.signUrl("PUT", path, kind.id, exp);
    }

    /** A presigned GET for a job's output (terminal callback, direct mode). */
    public URI outputGet(Job job, Engine.OutputKind kind) {
        return storage.presignGet(job.outputKey(kind), ttl());
    }
}
