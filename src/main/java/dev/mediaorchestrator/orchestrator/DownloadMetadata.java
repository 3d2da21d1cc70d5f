package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.downloader.DownloadOptions;
import dev.mediaorchestrator.downloader.MetadataMapper;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.util.Map;

/**
 * A downloader job's {@code metadata} when no runner callback brought it (CONTRACT.md,
 * "Downloader metadata is never lost"): mapped from {@code metadata.json} in the bucket (yt-dlp's
 * info JSON), read as a stream and capped, with {@code quality} and {@code source} from the job's
 * options. A missing, unreadable or malformed file gives the fields that could be read (the rest
 * null), never an error: the job completes all the same.
 */
final class DownloadMetadata {
    private static final Logger LOG = LoggerFactory.getLogger(DownloadMetadata.class);
    /** Of metadata.json only this much is read (yt-dlp's info JSON is mostly formats; the fields come early). */
    static final long MAX_BYTES = 16L * 1024 * 1024;

    private DownloadMetadata() {
    }

    static Map<String, Object> fromBucket(Storage storage, Job job) {
        String quality;
        String givenSource;
        String defaultSource;
        try {
            DownloadOptions o = DownloadOptions.parse(job.options());
            quality = o.quality().label();
            givenSource = o.sourceGiven() ? o.source() : null;
            defaultSource = o.source();
        } catch (IllegalArgumentException e) {
            // options the orchestrator accepted but the downloader's rules do not: report them as given
            quality = job.options().get("quality") instanceof String q && !q.isBlank() ? q : "1080p";
            givenSource = job.options().get("source") instanceof String s && !s.isBlank() ? s : null;
            defaultSource = "generic";
        }
        String key = job.outputKey(Engine.OutputKind.METADATA);
        try (InputStream in = storage.get(key, null, null)) {
            return MetadataMapper.fromStream(in, MAX_BYTES, quality, givenSource, defaultSource);
        } catch (Exception e) {
            LOG.warn("job {}: cannot read {} for its metadata: {}", job.jobId, key, e.getClass().getSimpleName());
            return MetadataMapper.fromStream(InputStream.nullInputStream(), 0, quality, givenSource, defaultSource);
        }
    }
}
