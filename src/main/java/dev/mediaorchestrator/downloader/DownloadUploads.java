package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.runner.Transfers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * A downloader job's outputs into the bucket: metadata.json, the subtitles, the thumbnail and the
 * video while ffmpeg extracts the mp3 (they are ready, and the two use different resources: the
 * disk and network against the CPU), then the mp3; each reported with its provenance once it is in
 * the bucket ({@link RunnerJobs#uploaded}). Also the {@code outputs} of the {@code completed}
 * callback.
 */
final class DownloadUploads {
    private final RunnerJobs jobs;
    private final Transfers transfers;
    /** Early uploads: one task per running job, so as many threads as jobs may run at once. */
    private final ExecutorService pool;

    DownloadUploads(RunnerJobs jobs, Transfers transfers, int maxConcurrency, Pools pools) {
        this.jobs = jobs;
        this.transfers = transfers;
        this.pool = pools.fixed("downloader-uploads", Math.max(1, maxConcurrency));
    }

    /**
     * metadata.json, the subtitles, the thumbnail and the video go up in the background. The
     * orchestrator cannot complete the job on them alone: the audio goes up only after the {@code
     * uploading} callback ({@link #uploadAudio}).
     */
    void startEarly(RunnerJob job, Download d) {
        Path info = YtDlpCommand.infoJsonPath(job.workDir);
        Path video = d.video;
        d.earlyUploads = pool.submit(JobContext.wrap(job.jobId, () -> {
            jobs.uploaded(job, "metadata", job.string("outputMetadataKey"), "application/json",
                    transfers.upload("metadata", info, job.string("outputMetadataPutUrl"), "application/json", () -> d.stopUploads));
            // subtitles and thumbnail before the audio: once the required outputs are all in the bucket
            // the orchestrator completes the job, and its callback lists what is there by then
            Map<String, String> subtitleUrls = stringMap(job.payload.get("outputSubtitlePutUrls"));
            Map<String, String> subtitleKeys = stringMap(job.payload.get("outputSubtitleKeys"));
            d.subtitles.forEach((lang, file) -> {
                if (subtitleUrls.containsKey(lang)) {
                    jobs.uploaded(job, "subtitles." + lang, subtitleKeys.get(lang), "text/vtt",
                            transfers.upload("subtitles " + lang, file, subtitleUrls.get(lang), "text/vtt", () -> d.stopUploads));
                }
            });
            if (d.thumbnail != null && job.string("outputThumbnailPutUrl") != null) {
                jobs.uploaded(job, "thumbnail", job.string("outputThumbnailKey"), "image/jpeg",
                        transfers.upload("thumbnail", d.thumbnail, job.string("outputThumbnailPutUrl"), "image/jpeg", () -> d.stopUploads));
            }
            jobs.uploaded(job, "video", job.string("outputVideoKey"), "video/mp4",
                    transfers.upload("video", video, job.string("outputVideoPutUrl"), "video/mp4", () -> d.stopUploads));
        }));
    }

    /** Waits for the early uploads; a failed one fails the job. */
    static void awaitEarly(Download d) {
        Future<?> f = d.earlyUploads;
        if (f == null) {
            return;
        }
        try {
            f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RunnerFailure failure) {
                throw failure;
            }
            throw new RunnerFailure("upload failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerFailure("interrupted while uploading", e);
        }
    }

    /** The mp3, last. */
    void uploadAudio(RunnerJob job, Download d) {
        jobs.uploaded(job, "audio", job.string("outputAudioKey"), "audio/mpeg",
                transfers.upload("audio", d.audio, job.string("outputAudioPutUrl"), "audio/mpeg", () -> d.stopUploads));
    }

    /** Stops the job's uploads still running (a job that failed or was canceled while they ran). */
    static void stop(Download d) {
        d.stopUploads = true;
        try {
            awaitEarly(d);
        } catch (RunnerFailure e) {
            // the job has ended already; a stopped upload is expected here
        }
    }

    void shutdown() {
        pool.shutdown();
    }

    /**
     * The {@code completed} callback's fields: {@code outputs} (the payload's keys of what was
     * made) and the top-level keys of the original contract.
     */
    static Map<String, Object> completedFields(RunnerJob job, Download d) {
        Map<String, Object> outputs = new LinkedHashMap<>();
        Map<String, Object> extra = new LinkedHashMap<>();
        for (String[] kind : new String[][]{{"video", "outputVideoKey", "outputKey"}, {"audio", "outputAudioKey", "outputAudioKey"},
                {"metadata", "outputMetadataKey", "outputMetadataKey"}}) {
            String key = job.string(kind[1]);
            if (key != null) {
                outputs.put(kind[0], Map.of("key", key));
                extra.put(kind[2], key);
            }
        }
        if (d.thumbnail != null && job.string("outputThumbnailKey") != null) {
            outputs.put("thumbnail", Map.of("key", job.string("outputThumbnailKey")));
        }
        Map<String, String> subtitleKeys = stringMap(job.payload.get("outputSubtitleKeys"));
        if (d.options.subtitles().isPresent()) {
            List<Map<String, Object>> subtitles = new ArrayList<>();
            d.subtitles.keySet().stream().filter(subtitleKeys::containsKey)
                    .forEach(lang -> subtitles.add(Map.of("lang", lang, "key", subtitleKeys.get(lang))));
            outputs.put("subtitles", subtitles);
        }
        extra.put("outputs", outputs);
        return extra;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> stringMap(Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (k instanceof String ks && v instanceof String vs) {
                    out.put(ks, vs);
                }
            });
        }
        return out;
    }
}
