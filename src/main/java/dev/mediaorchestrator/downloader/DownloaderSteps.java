package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.runner.FileTail;
import dev.mediaorchestrator.runner.JobProcessExecutor;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.DiskSpace;
import dev.mediaorchestrator.runner.ParentDeath;
import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.runner.Transfers;
import org.apache.camel.Exchange;
import org.apache.camel.component.exec.ExecResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The steps of the downloader's job route ({@code downloader-runner.camel.yaml}): options and proxy
 * plan (with mihomo when the plan needs it), one yt-dlp run and one ffmpeg mp3 run (both launched by
 * camel-exec), the three uploads, and the callbacks between them (CONTRACT.md, Downloader rules).
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
 * errors are scrubbed of the plan's secrets.
 */
public final class DownloaderSteps {
    private static final Logger LOG = LoggerFactory.getLogger(DownloaderSteps.class);
    static final Duration MIHOMO_START_TIMEOUT = Duration.ofSeconds(30);
    static final String MIHOMO_DIR = "mihomo";
    static final String MIHOMO_LOG = "mihomo.log";
    static final double PREPARING = 0.05;
    static final double FETCHING_METADATA = 0.1;
    static final double EXTRACTING_AUDIO = 0.8;
    static final double UPLOADING = 0.9;
    static final double UPLOADING_AUDIO = 0.95;

    private final RunnerJobs jobs;
    private final Transfers transfers;
    private final RunnerConfig config;
    private final ProxySettings proxySettings;
    private final Egress egress;
    private final Map<RunnerJob, Download> downloads = new ConcurrentHashMap<>();
    /** mihomo ports held by running jobs; guarded by {@code this}. */
    private final Set<Integer> leasedPorts = new HashSet<>();
    /** Early uploads: one task per running job, so as many threads as jobs may run at once. */
    private final ExecutorService uploads;

    public DownloaderSteps(RunnerJobs jobs, Transfers transfers, RunnerConfig config, ProxySettings proxySettings, Egress egress,
                           Pools pools) {
        this.jobs = jobs;
        this.transfers = transfers;
        this.config = config;
        this.proxySettings = proxySettings;
        this.egress = egress;
        this.uploads = pools.fixed("downloader-uploads", Math.max(1, config.maxConcurrency));
    }

    /** What one job carries from step to step. */
    private static final class Download {
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
        final List<String> cookieValues = new java.util.concurrent.CopyOnWriteArrayList<>();
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
        egress.refusal(options.url()).ifPresent(reason -> {
            throw new RunnerFailure(reason);
        });
        d.plan = plan(options, proxySettings);
        if (d.plan.needsMihomo()) {
            d.mihomoPorts = leasePorts(job);
            d.plan = plan(options, d.mihomoPorts);
        }
        LOG.info("start download (job {}, host {}, source {}, quality {}, {})", job.jobId, Urls.split(options.url()).host(),
                options.source(), options.quality(), d.plan.redacted());
        if (d.plan.needsMihomo()) {
            startMihomo(job, d);
        }
        startGuard(job, d);
    }

    /** The {@code fetching_metadata} callback, the yt-dlp command for camel-exec, and its live progress. */
    public void download(RunnerJob job, Exchange exchange) {
        Download d = state(job);
        jobs.phase(job, "fetching_metadata", "fetching_metadata", FETCHING_METADATA);
        List<String> command = YtDlpCommand.builder(d.options, job.workDir)
                .executable(config.ytDlpBin)
                .proxy(d.guard != null ? d.guard.proxyUrl() : d.plan.ytDlpProxyUrl().orElse(null))
                .ffmpegLocation(config.ffmpegBin.contains("/") ? config.ffmpegBin : null)
                .cookies(writeCookies(job, d))
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
            String stderr = text(result.getStderr());
            throw new RunnerFailure(DiskSpace.fullMessage(job.workDir, stderr).map(m -> "yt-dlp failed: " + m)
                    .orElseGet(() -> scrub(d, YtDlpCommand.errorMessage(stderr, result.getExitValue())) + via(d)));
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
        LOG.info("download done (job {}, {} bytes of video)", job.jobId, size(d.video));
        findExtras(job, d);
        d.audio = dir.resolve(Mp3Command.AUDIO_FILE);
        JobProcessExecutor.setCommand(exchange, dir, Mp3Command.args(config.ffmpegBin, d.video, d.audio));
        jobs.phase(job, "running", "extracting_audio", EXTRACTING_AUDIO);
        startEarlyUploads(job, d);
    }

    /** After ffmpeg: its exit status decides. */
    public void extracted(RunnerJob job, ExecResult result) {
        Download d = state(job);
        if (result.getExitValue() != 0) {
            String stderr = text(result.getStderr());
            throw new RunnerFailure("ffmpeg could not extract the audio: " + DiskSpace.fullMessage(job.workDir, stderr)
                    .orElseGet(() -> lastLines(stderr, 3, "exit code " + result.getExitValue())));
        }
        if (size(d.audio) <= 0) {
            throw new RunnerFailure("ffmpeg produced no audio");
        }
    }

    /**
     * metadata.json and the video go up while ffmpeg extracts the mp3 (they are ready, and the two
     * use different resources: the disk and network against the CPU). The orchestrator cannot
     * complete the job on them alone: the audio goes up only after the {@code uploading} callback.
     */
    private void startEarlyUploads(RunnerJob job, Download d) {
        Path info = YtDlpCommand.infoJsonPath(job.workDir);
        Path video = d.video;
        d.earlyUploads = uploads.submit(JobContext.wrap(job.jobId, () -> {
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
        awaitEarlyUploads(d);
        jobs.phase(job, "uploading", "uploading", UPLOADING_AUDIO);
        jobs.uploaded(job, "audio", job.string("outputAudioKey"), "audio/mpeg",
                transfers.upload("audio", d.audio, job.string("outputAudioPutUrl"), "audio/mpeg", () -> d.stopUploads));
    }

    private static void awaitEarlyUploads(Download d) {
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

    /** The {@code completed} callback with {@code outputs} (the payload's keys) and the mapped {@code metadata}. */
    public void completed(RunnerJob job) {
        Download d = state(job);
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
            List<Map<String, Object>> subtitles = new java.util.ArrayList<>();
            d.subtitles.keySet().stream().filter(subtitleKeys::containsKey)
                    .forEach(lang -> subtitles.add(Map.of("lang", lang, "key", subtitleKeys.get(lang))));
            outputs.put("subtitles", subtitles);
        }
        extra.put("outputs", outputs);
        extra.put("metadata", d.metadata);
        jobs.completed(job, extra);
        LOG.info("job {} completed", job.jobId);
    }

    /**
     * Last but one step of every job (before {@link RunnerJobs#finish} removes its files): stops
     * its uploads still running (a job that failed or was canceled while they ran) and its mihomo.
     */
    public void cleanup(RunnerJob job) {
        Download d = downloads.remove(job);
        if (d != null) {
            d.stopUploads = true;
            try {
                awaitEarlyUploads(d);
            } catch (RunnerFailure e) {
                // the job has ended already; a stopped upload is expected here
            }
            stopMihomo(job.jobId, d);
            stopGuard(d);
        }
    }

    /** At shutdown: no mihomo or egress guard outlives the service. */
    public void stopAll() {
        downloads.forEach((job, d) -> {
            d.stopUploads = true;
            stopMihomo(job.jobId, d);
            stopGuard(d);
        });
        uploads.shutdown();
        egress.stop();
    }

    /** The egress rules of this runner (tests choose its DNS answers). */
    Egress egress() {
        return egress;
    }

    private Download state(RunnerJob job) {
        Download d = downloads.get(job);
        if (d == null) {
            throw new IllegalStateException("no download state for job " + job.jobId);
        }
        return d;
    }

    private static ProxyPlan plan(DownloadOptions options, ProxySettings settings) {
        try {
            return ProxyPlan.resolve(options, settings);
        } catch (IllegalArgumentException e) {
            throw new RunnerFailure("invalid proxy: " + e.getMessage());
        }
    }

    /** The job's egress guard in front of its proxy (none while private networks are on). */
    private void startGuard(RunnerJob job, Download d) {
        try {
            d.guard = egress.guard(job.jobId, d.plan.ytDlpProxyUrl());
        } catch (IOException | IllegalArgumentException e) {
            throw new RunnerFailure("the egress guard could not be started: " + e.getMessage(), e);
        }
    }

    private static void stopGuard(Download d) {
        EgressGuard guard = d.guard;
        d.guard = null;
        if (guard != null) {
            guard.close();
        }
    }

    // ---------------------------------------------------------------- mihomo

    private void startMihomo(RunnerJob job, Download d) {
        Path binary;
        try {
            binary = MihomoSupport.requireBinary(proxySettings.mihomoBin());
        } catch (MihomoSupport.MihomoNotFoundException e) {
            throw new RunnerFailure(e.getMessage() + " (MIHOMO_BIN); it is needed for " + d.plan.redacted());
        }
        Path dir = job.workDir.resolve(MIHOMO_DIR);
        Path log = dir.resolve(MIHOMO_LOG);
        int port = d.mihomoPorts.mihomoPort();
        try {
            Path configFile = MihomoSupport.writeConfig(dir, d.plan.clashConfigYaml().orElseThrow());
            d.mihomo = new ProcessBuilder(ParentDeath.guarded(MihomoSupport.command(binary, dir, configFile))).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new RunnerFailure("mihomo could not be started: " + e.getMessage(), e);
        }
        Process p = d.mihomo;
        try {
            MihomoSupport.waitForPort("127.0.0.1", port, Instant.now().plus(MIHOMO_START_TIMEOUT), p::isAlive);
        } catch (IllegalStateException e) {
            String tail = lastLines(readQuietly(log), 3, null);
            throw new RunnerFailure(e.getMessage() + (tail == null ? "" : ": " + scrub(d, tail)));
        }
        LOG.info("mihomo started (job {}, pid {}, 127.0.0.1:{})", job.jobId, p.pid(), port);
    }

    private void stopMihomo(String jobId, Download d) {
        Process p = d.mihomo;
        d.mihomo = null;
        if (p != null) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            LOG.info("mihomo stopped (job {})", jobId);
        }
        ProxySettings ports = d.mihomoPorts;
        d.mihomoPorts = null;
        if (ports != null) {
            synchronized (this) {
                leasedPorts.remove(ports.mihomoPort());
                leasedPorts.remove(ports.mihomoSocksPort());
            }
        }
    }

    /**
     * The mihomo ports of one job: {@code MIHOMO_PORT}/{@code MIHOMO_SOCKS_PORT} when no other job
     * holds them and nothing listens there (else yt-dlp would silently go through another job's or
     * another program's proxy), otherwise two free loopback ports.
     */
    private synchronized ProxySettings leasePorts(RunnerJob job) {
        int http = proxySettings.mihomoPort();
        int socks = proxySettings.mihomoSocksPort();
        if (leasedPorts.contains(http) || leasedPorts.contains(socks) || listening(http) || listening(socks)) {
            http = freePort();
            do {
                socks = freePort();
            } while (socks == http);
            LOG.info("MIHOMO_PORT {} or MIHOMO_SOCKS_PORT {} is taken; job {} runs mihomo on 127.0.0.1:{} (socks {})",
                    proxySettings.mihomoPort(), proxySettings.mihomoSocksPort(), job.jobId, http, socks);
        }
        leasedPorts.add(http);
        leasedPorts.add(socks);
        return proxySettings.withPorts(http, socks);
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new RunnerFailure("no free port for mihomo: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- cookies, subtitles, thumbnail

    static final String COOKIES_FILE = "cookies.txt";

    /**
     * The job's cookies (or a copy of {@code YTDLP_COOKIES_FILE}) in its work dir, readable by this
     * user only; yt-dlp writes the jar back to it, so the global file is never written. Removed
     * with the work dir. Null when there are none.
     */
    private Path writeCookies(RunnerJob job, Download d) {
        String text = d.options.cookies().orElse(null);
        Path file = job.workDir.resolve(COOKIES_FILE);
        try {
            if (text == null && config.cookiesFile == null) {
                return null;
            }
            Files.deleteIfExists(file);
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            if (text != null) {
                // the header yt-dlp's cookie jar (Python's MozillaCookieJar) insists on
                String header = text.startsWith("# Netscape HTTP Cookie File") || text.startsWith("# HTTP Cookie File")
                        ? "" : "# Netscape HTTP Cookie File\n";
                Files.writeString(file, header + text, StandardCharsets.UTF_8);
                d.cookieValues.addAll(DownloadExtras.cookieValues(text));
            } else {
                Files.copy(config.cookiesFile, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                d.cookieValues.addAll(DownloadExtras.cookieValues(Files.readString(config.cookiesFile, StandardCharsets.UTF_8)));
            }
            return file;
        } catch (IOException e) {
            throw new RunnerFailure("cannot write the cookies file: " + e.getClass().getSimpleName());
        }
    }

    /** The subtitles yt-dlp found among those asked for, and the thumbnail (a frame of the video when the page has none). */
    private void findExtras(RunnerJob job, Download d) {
        d.options.subtitles().ifPresent(subs -> {
            for (String lang : subs.languages()) {
                Path file = YtDlpCommand.subtitlesPath(job.workDir, lang);
                if (size(file) > 0) {
                    d.subtitles.put(lang, file);
                }
            }
            LOG.info("subtitles found (job {}): {} of {}", job.jobId, d.subtitles.keySet(), subs.languages());
        });
        if (d.options.thumbnail()) {
            Path thumb = job.workDir.resolve(YtDlpCommand.THUMBNAIL_FILE);
            if (size(thumb) <= 0) {
                thumb = frameOf(job, d.video);
            }
            d.thumbnail = thumb;
        }
    }

    /** A JPEG of the video's frame at 1 s (or its first), for a page without a thumbnail. */
    private Path frameOf(RunnerJob job, Path video) {
        Path out = job.workDir.resolve(YtDlpCommand.THUMBNAIL_FILE);
        for (String at : List.of("1", "0")) {
            List<String> cmd = List.of(config.ffmpegBin, "-nostdin", "-v", "error", "-y", "-ss", at, "-i", video.toString(),
                    "-frames:v", "1", "-q:v", "3", out.toString());
            try {
                Process p = new ProcessBuilder(ParentDeath.guarded(cmd)).directory(job.workDir.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                } else if (p.exitValue() == 0 && size(out) > 0) {
                    return out;
                }
            } catch (IOException e) {
                throw new RunnerFailure("ffmpeg could not make the thumbnail: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunnerFailure("interrupted while making the thumbnail", e);
            }
        }
        throw new RunnerFailure("the page has no thumbnail and ffmpeg could not take one from the video");
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

    // ---------------------------------------------------------------- texts

    /** Removes the plan's secrets and the source URL's query from a tool's message. */
    private static String scrub(Download d, String text) {
        Set<String> secrets = new LinkedHashSet<>(d.plan == null ? Set.of() : d.plan.secrets());
        secrets.addAll(d.cookieValues);
        EgressGuard guard = d.guard;
        if (guard != null) {
            secrets.add(guard.secret());
        }
        Urls.Parts source = Urls.split(d.options.url());
        int q = source.rest() == null ? -1 : source.rest().indexOf('?');
        if (q >= 0) {
            secrets.add(source.rest().substring(q + 1));
        }
        if (source.userInfo() != null) {
            secrets.add(source.userInfo());
        }
        return Redactor.scrub(text, secrets);
    }

    /** Which proxy a failed download went through, without credentials. */
    private static String via(Download d) {
        return switch (d.plan.kind()) {
            case YTDLP_PROXY -> " (via proxy " + Redactor.url(d.plan.ytDlpProxyUrl().orElseThrow()) + ")";
            case MIHOMO -> " (via mihomo on 127.0.0.1:" + d.mihomoPorts.mihomoPort() + ")";
            case NONE -> "";
        };
    }

    private static String text(InputStream in) {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static String readQuietly(Path file) {
        try {
            return new String(JobProcessExecutor.tail(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last {@code n} non-blank lines joined with " | ", or {@code fallback} when there are none. */
    static String lastLines(String text, int n, String fallback) {
        List<String> lines = text == null ? List.of() : text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (lines.isEmpty()) {
            return fallback;
        }
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    private static long size(Path file) {
        try {
            return file == null ? -1 : Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
