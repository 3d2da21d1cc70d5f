package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.runner.DiskSpace;
import dev.mediaorchestrator.runner.FileTail;
import dev.mediaorchestrator.runner.JobProcessExecutor;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.runner.Transfers;
import org.apache.camel.Exchange;
import org.apache.camel.component.exec.ExecResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The steps of the downloader's job route ({@code downloader-runner.camel.yaml}): options and proxy
 * chain ({@link ProxyChain}: the plan, mihomo when the plan needs it, the egress guard), one yt-dlp
 * run and one ffmpeg mp3 run (both launched by camel-exec), the uploads ({@link DownloadUploads}),
 * and the callbacks between them (CONTRACT.md, Downloader rules).
 *
 * <p>Phases: {@code preparing} 0.05, {@code fetching_metadata} 0.1 while yt-dlp reads the page,
 * {@code running/downloading} 0.1→0.6 from the first download line of yt-dlp on, {@code
 * running/extracting_audio} 0.8, {@code uploading} 0.9 and 0.95, {@code completed} 1. metadata.json
 * and the video start uploading as soon as yt-dlp is done, while ffmpeg extracts the mp3; the mp3
 * goes up last, after the {@code uploading} callback.
 *
 * <p>With {@code DOWNLOADER_ALLOW_PRIVATE_NETWORKS} off, the job's url is checked before yt-dlp
 * starts and yt-dlp then reaches the network only through the job's {@link EgressGuard} (its
 * {@code --proxy}, with the job's own proxy chained behind it), which checks every connection.
 *
 * <p>Nothing written to logs or callbacks carries the source URL's query or a proxy credential:
 * logs name the source host only, proxies are shown by {@link ProxyPlan#redacted()}, and tool
 * errors are scrubbed of the plan's secrets ({@link DownloadErrors}).
 */
public final class DownloaderSteps {
    private static final Logger LOG = LoggerFactory.getLogger(DownloaderSteps.class);
    static final double PREPARING = 0.05;
    static final double FETCHING_METADATA = 0.1;
    static final double EXTRACTING_AUDIO = 0.8;
    static final double UPLOADING = 0.9;
    static final double UPLOADING_AUDIO = 0.95;

    private final RunnerJobs jobs;
    private final RunnerConfig config;
    private final ProxyChain proxies;
    private final SideFiles sideFiles;
    private final DownloadUploads uploads;
    private final Map<RunnerJob, Download> downloads = new ConcurrentHashMap<>();

    public DownloaderSteps(RunnerJobs jobs, Transfers transfers, RunnerConfig config, ProxySettings proxySettings, Egress egress,
                           Pools pools) {
        this.jobs = jobs;
        this.config = config;
        this.proxies = new ProxyChain(proxySettings, egress);
        this.sideFiles = new SideFiles(config);
        this.uploads = new DownloadUploads(jobs, transfers, config.maxConcurrency, pools);
    }

    /** {@code /render} payload fields a downloader job cannot do without. */
    public List<String> requiredUrls() {
        return List.of("outputVideoPutUrl", "outputAudioPutUrl", "outputMetadataPutUrl");
    }

    /** Options, work dir, {@code preparing} callback, proxy plan; starts mihomo when the plan needs it. */
    public void prepare(RunnerJob job) {
        DownloadOptions options;
        try {
            options = DownloadOptions.parse(job.engineOptions());
        } catch (IllegalArgumentException e) {
            throw new RunnerFailure("invalid engineOptions: " + e.getMessage());
        }
        Download d = new Download(options);
        downloads.put(job, d);
        jobs.workDir(job);
        jobs.phase(job, "preparing", "preparing", PREPARING);
        proxies.egress().refusal(options.url()).ifPresent(reason -> {
            throw new RunnerFailure(reason);
        });
        proxies.plan(job, d);
        LOG.info("start download (job {}, host {}, source {}, quality {}, {})", job.jobId, Urls.split(options.url()).host(),
                options.source(), options.quality(), d.plan.redacted());
        proxies.start(job, d);
    }

    /** The {@code fetching_metadata} callback, the yt-dlp command for camel-exec, and its live progress. */
    public void download(RunnerJob job, Exchange exchange) {
        Download d = state(job);
        jobs.phase(job, "fetching_metadata", "fetching_metadata", FETCHING_METADATA);
        List<String> command = YtDlpCommand.builder(d.options, job.workDir)
                .executable(config.ytDlpBin)
                .proxy(proxies.ytDlpProxyUrl(d))
                .ffmpegLocation(config.ffmpegBin.contains("/") ? config.ffmpegBin : null)
                .cookies(sideFiles.writeCookies(job, d))
                .build();
        d.stdout = new FileTail(JobProcessExecutor.stdoutFile(job.workDir, config.ytDlpBin));
        JobProcessExecutor.setCommand(exchange, job.workDir, command);
        job.liveProgress = () -> readProgress(job, d);
    }

    /**
     * Reads the lines yt-dlp wrote since the last call: progress 0.1→0.6, and the move to {@code
     * running/downloading} at its first download line (called by the progress timer while yt-dlp
     * runs, and once more after it).
     */
    private double readProgress(RunnerJob job, Download d) {
        synchronized (d) {
            boolean started = false;
            for (String line : d.stdout.newLines()) {
                d.progress.accept(line);
                started |= line.startsWith("[download]") || line.startsWith(YtDlpProgress.TEMPLATE_TAG);
            }
            if (started && !d.downloadingReported) {
                d.downloadingReported = true;
                jobs.phase(job, "running", "downloading", d.progress.progress());
            }
            return d.progress.progress();
        }
    }

    /** After yt-dlp: its exit status decides; reads the metadata and sets up the mp3 extraction. */
    public void downloaded(RunnerJob job, ExecResult result, Exchange exchange) {
        Download d = state(job);
        job.liveProgress = null;
        readProgress(job, d);
        if (result.getExitValue() != 0) {
            EgressGuard guard = d.guard;
            if (guard != null && guard.refusal().isPresent()) {
                throw new RunnerFailure(guard.refusal().get());
            }
            String stderr = DownloadErrors.text(result.getStderr());
            throw new RunnerFailure(DiskSpace.fullMessage(job.workDir, stderr).map(m -> "yt-dlp failed: " + m)
                    .orElseGet(() -> DownloadErrors.scrub(d, YtDlpCommand.errorMessage(stderr, result.getExitValue()))
                            + DownloadErrors.via(d)));
        }
        Path dir = job.workDir;
        try {
            d.video = YtDlpCommand.findVideo(dir).orElseThrow(() -> new RunnerFailure("yt-dlp finished but wrote no video"));
        } catch (IOException e) {
            throw new RunnerFailure("cannot list the work directory: " + e.getMessage(), e);
        }
        Path info = YtDlpCommand.infoJsonPath(dir);
        if (!Files.isRegularFile(info)) {
            throw new RunnerFailure("yt-dlp finished but wrote no info JSON");
        }
        try {
            if (!d.cookieValues.isEmpty()) {
                DownloadExtras.scrubInfoJson(info, d.cookieValues);
            }
            d.metadata = MetadataMapper.fromInfoFile(info, d.options);
        } catch (IOException e) {
            throw new RunnerFailure("the info JSON yt-dlp wrote cannot be read: " + e.getMessage(), e);
        }
        synchronized (d) {
            if (!d.downloadingReported) { // yt-dlp was done before the progress timer saw it
                d.downloadingReported = true;
                jobs.phase(job, "running", "downloading", YtDlpProgress.PHASE_END);
            }
        }
        jobs.progress(job, YtDlpProgress.PHASE_END);
        LOG.info("download done (job {}, {} bytes of video)", job.jobId, SideFiles.size(d.video));
        sideFiles.findExtras(job, d);
        d.audio = dir.resolve(Mp3Command.AUDIO_FILE);
        JobProcessExecutor.setCommand(exchange, dir, Mp3Command.args(config.ffmpegBin, d.video, d.audio));
        jobs.phase(job, "running", "extracting_audio", EXTRACTING_AUDIO);
        uploads.startEarly(job, d);
    }

    /** After ffmpeg: its exit status decides. */
    public void extracted(RunnerJob job, ExecResult result) {
        Download d = state(job);
        if (result.getExitValue() != 0) {
            String stderr = DownloadErrors.text(result.getStderr());
            throw new RunnerFailure("ffmpeg could not extract the audio: " + DiskSpace.fullMessage(job.workDir, stderr)
                    .orElseGet(() -> DownloadErrors.lastLines(stderr, 3, "exit code " + result.getExitValue())));
        }
        if (SideFiles.size(d.audio) <= 0) {
            throw new RunnerFailure("ffmpeg produced no audio");
        }
    }

    /**
     * The {@code uploading} callback, the end of the metadata and video uploads (started after
     * yt-dlp), then the mp3. The {@code uploading} callback already carries the mapped {@code
     * metadata}: the orchestrator completes the job as soon as it sees the three outputs in the
     * bucket, which can be before the {@code completed} callback arrives, and its terminal callback
     * must not go out without the metadata.
     */
    public void upload(RunnerJob job) {
        Download d = state(job);
        jobs.phase(job, "uploading", "uploading", UPLOADING, Map.of("metadata", d.metadata));
        DownloadUploads.awaitEarly(d);
        jobs.phase(job, "uploading", "uploading", UPLOADING_AUDIO);
        uploads.uploadAudio(job, d);
    }

    /** The {@code completed} callback with {@code outputs} (the payload's keys) and the mapped {@code metadata}. */
    public void completed(RunnerJob job) {
        Download d = state(job);
        Map<String, Object> extra = DownloadUploads.completedFields(job, d);
        extra.put("metadata", d.metadata);
        jobs.completed(job, extra);
        LOG.info("job {} completed", job.jobId);
    }

    /**
     * Last but one step of every job (before {@link RunnerJobs#finish} removes its files): stops
     * its uploads still running (a job that failed or was canceled while they ran), its mihomo and
     * its egress guard.
     */
    public void cleanup(RunnerJob job) {
        Download d = downloads.remove(job);
        if (d != null) {
            DownloadUploads.stop(d);
            proxies.stop(job.jobId, d);
        }
    }

    /** At shutdown: no mihomo or egress guard outlives the service. */
    public void stopAll() {
        downloads.forEach((job, d) -> {
            d.stopUploads = true;
            proxies.stop(job.jobId, d);
        });
        uploads.shutdown();
        proxies.stopAll();
    }

    /** The egress rules of this runner (tests choose its DNS answers). */
    Egress egress() {
        return proxies.egress();
    }

    private Download state(RunnerJob job) {
        Download d = downloads.get(job);
        if (d == null) {
            throw new IllegalStateException("no download state for job " + job.jobId);
        }
        return d;
    }
}
