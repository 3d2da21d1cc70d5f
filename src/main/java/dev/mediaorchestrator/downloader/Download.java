package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.runner.FileTail;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;

/**
 * What one downloader job carries from step to step ({@link DownloaderSteps}): its options, the
 * proxy chain yt-dlp goes through, the files yt-dlp wrote, and its uploads in flight. The job's
 * thread writes it; the progress timer and the early uploads read it.
 */
final class Download {
    final DownloadOptions options;
    final YtDlpProgress progress = new YtDlpProgress();
    volatile ProxyPlan plan;
    /** The mihomo ports of this job (its plan's), when it runs mihomo. */
    volatile ProxySettings mihomoPorts;
    volatile Process mihomo;
    /** Every connection of yt-dlp goes through it while private networks are off. */
    volatile EgressGuard guard;
    FileTail stdout;
    boolean downloadingReported;
    Path video;
    Path audio;
    /** Cookie values of this job, scrubbed from tool output. */
    final List<String> cookieValues = new CopyOnWriteArrayList<>();
    /** The subtitles found (lang → file), in the order asked for; the thumbnail when asked for. */
    final Map<String, Path> subtitles = new LinkedHashMap<>();
    Path thumbnail;
    Map<String, Object> metadata;
    /** metadata.json and the video, uploading while ffmpeg extracts the audio. */
    volatile Future<?> earlyUploads;
    /** Set when the job ends another way: the early uploads stop at their next read. */
    volatile boolean stopUploads;

    Download(DownloadOptions options) {
        this.options = options;
    }
}
