package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of {@code POST {runner}/render} for a job (CONTRACT.md, Runner endpoints): per engine,
 * the URLs of its inputs and outputs ({@link TransferUrls}, minted for each attempt), the output
 * keys, the callback URL, and the job's dispatch nonce.
 */
final class RenderPayloads {
    private final Config config;
    private final TransferUrls urls;
    private final Clock clock;

    RenderPayloads(Config config, TransferUrls urls, Clock clock) {
        this.config = config;
        this.urls = urls;
        this.clock = clock;
    }

    /** The runner payload of CONTRACT.md (Runner endpoints) for the job's engine, with a fresh {@code ts}. */
    Map<String, Object> of(Job job) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobId", job.jobId);
        p.put("mediaId", job.mediaId);
        p.put("engine", job.engine.id);
        p.put("callbackUrl", config.orchestratorBaseUrlContainer + "/callbacks/container");
        p.put("engineOptions", job.options());
        switch (job.engine) {
            case BURNER -> {
                p.put("inputVideoUrl", urls.input(job.mediaId, Engine.InputKind.VIDEO));
                p.put("inputVttUrl", urls.input(job.mediaId, Engine.InputKind.SUBTITLES));
                p.put("outputPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
            }
            case REMOTION -> {
                p.put("inputVideoUrl", urls.input(job.mediaId, Engine.InputKind.VIDEO));
                p.put("inputDataUrl", urls.input(job.mediaId, Engine.InputKind.COMMENTS));
                p.put("outputPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
            }
            case DOWNLOADER -> {
                p.put("outputVideoPutUrl", urls.output(job, Engine.OutputKind.VIDEO));
                p.put("outputAudioPutUrl", urls.output(job, Engine.OutputKind.AUDIO));
                p.put("outputMetadataPutUrl", urls.output(job, Engine.OutputKind.METADATA));
                p.put("outputVideoKey", job.outputKey(Engine.OutputKind.VIDEO));
                p.put("outputAudioKey", job.outputKey(Engine.OutputKind.AUDIO));
                p.put("outputMetadataKey", job.outputKey(Engine.OutputKind.METADATA));
                if (job.outputs().contains(Engine.OutputKind.THUMBNAIL)) {
                    p.put("outputThumbnailPutUrl", urls.output(job, Engine.OutputKind.THUMBNAIL));
                    p.put("outputThumbnailKey", job.outputKey(Engine.OutputKind.THUMBNAIL));
                }
                if (!job.subtitleLanguages().isEmpty()) {
                    Map<String, Object> putUrls = new LinkedHashMap<>();
                    Map<String, Object> keys = new LinkedHashMap<>();
                    for (String lang : job.subtitleLanguages()) {
                        putUrls.put(lang, urls.subtitlesOutput(job, lang));
                        keys.put(lang, job.engine.subtitleKey(job.mediaId, job.jobId, lang));
                    }
                    p.put("outputSubtitlePutUrls", putUrls);
                    p.put("outputSubtitleKeys", keys);
                }
            }
        }
        p.put("ts", clock.millis());
        p.put("nonce", job.dispatchNonce);
        return p;
    }
}
