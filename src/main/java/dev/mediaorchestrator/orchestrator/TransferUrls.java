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

    /** Longest lifetime of a presigned URL (SigV4's limit, also R2's). */
    static final long MAX_TTL_SECONDS = 7 * 24 * 3600;
    /** An output URL outlives the job's deadline by this much (the upload of the last bytes, clock skew). */
    static final long OUTPUT_MARGIN_SECONDS = 600;

    /**
     * An output URL must work whenever the runner is done, so it lives until the job's own deadline
     * ({@code createdAt} + {@code JOB_TIMEOUT_SECONDS} of its engine) and a margin, at least
     * {@code PRESIGN_TTL_SECONDS}, at most 7 days. Input URLs keep the short TTL: they are used at once.
     */
    long outputTtlSeconds(Job job) {
        long now = clock.instant().getEpochSecond();
        long deadline = job.createdAt / 1000 + config.jobTimeoutSeconds(job.engine.id) + OUTPUT_MARGIN_SECONDS;
        return Math.min(MAX_TTL_SECONDS, Math.max(config.presignTtlSeconds, deadline - now));
    }

    public String output(Job job, Engine.OutputKind kind) {
        long ttl = outputTtlSeconds(job);
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return storage.presignPut(job.outputKey(kind), kind.contentType, Duration.ofSeconds(ttl)).toString();
        }
        String path = "/upload/" + job.jobId;
        long exp = clock.instant().getEpochSecond() + ttl;
        return config.orchestratorBaseUrlContainer + path + "?kind=" + kind.id + "&exp=" + exp
                + "&sig=" + hmac.signUrl("PUT", path, kind.id, exp);
    }

    /** A presigned GET for a job's output, for the app (terminal callback, direct mode): signed for R2_S3_PUBLIC_ENDPOINT. */
    public URI outputGet(Job job, Engine.OutputKind kind) {
        return publicGet(job.outputKey(kind));
    }

    /** A presigned GET of {@code key} for the app (direct mode). */
    public URI publicGet(String key) {
        return storage.presignPublicGet(key, ttl());
    }

    /**
     * The upload URL of a downloader job's subtitles in {@code lang}: a presigned PUT, or in
     * fallback mode {@code /upload/{jobId}?kind=subtitles.{lang}} (the kind, with its language, is signed).
     */
    public String subtitlesOutput(Job job, String lang) {
        long ttl = outputTtlSeconds(job);
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return storage.presignPut(job.engine.subtitleKey(job.mediaId, job.jobId, lang), "text/vtt", Duration.ofSeconds(ttl)).toString();
        }
        String path = "/upload/" + job.jobId;
        String kind = "subtitles." + lang;
        long exp = clock.instant().getEpochSecond() + ttl;
        return config.orchestratorBaseUrlContainer + path + "?kind=" + kind + "&exp=" + exp + "&sig=" + hmac.signUrl("PUT", path, kind, exp);
    }

    /**
     * Where a segmented burn's segment {@code index} is uploaded (docs/segmented-burn.md §6): a
     * presigned PUT of {@link BurnTasks#segmentKey}, or in fallback mode
     * {@code /upload/{jobId}?kind=segment.{NNN}}; it lives as long as the job's output URL.
     */
    public String segmentPut(Job job, int index) {
        long ttl = outputTtlSeconds(job);
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return storage.presignPut(BurnTasks.segmentKey(job, index), "video/mp4", Duration.ofSeconds(ttl)).toString();
        }
        String path = "/upload/" + job.jobId;
        String kind = BurnTasks.segmentKind(index);
        long exp = clock.instant().getEpochSecond() + ttl;
        return config.orchestratorBaseUrlContainer + path + "?kind=" + kind + "&exp=" + exp + "&sig=" + hmac.signUrl("PUT", path, kind, exp);
    }

    /** Where the join reads segment {@code index}: a presigned GET, or in fallback mode {@code /segments/{jobId}/{index}}. */
    public String segmentGet(Job job, int index) {
        if (config.transferMode == Config.TransferMode.DIRECT) {
            return storage.presignGet(BurnTasks.segmentKey(job, index), ttl()).toString();
        }
        String path = "/segments/" + job.jobId + "/" + index;
        long exp = exp();
        return config.orchestratorBaseUrlContainer + path + "?exp=" + exp + "&sig=" + hmac.signUrl("GET", path, BurnTasks.SEGMENT_URL_KIND, exp);
    }
}
