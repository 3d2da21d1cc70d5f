package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.Env;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** Settings of the runner roles (burner, downloader), from the same environment as the orchestrator's. */
public final class RunnerConfig {
    public final boolean requireSignature;
    public final int maxConcurrency;
    public final Path workDir;
    public final String ffmpegBin;
    public final String ffprobeBin;
    public final String ytDlpBin;
    public final String mihomoBin;
    public final int mihomoPort;
    public final int mihomoSocksPort;
    public final String clashMode;
    public final String clashSubscriptionUrl;
    public final String clashRawConfig;
    public final long burnerTimeoutSeconds;
    public final long downloaderTimeoutSeconds;
    public final int retryAfterSeconds;
    /** A running ffmpeg or yt-dlp whose progress does not move for this long is killed and the job fails. */
    public final long stallSeconds;
    /** x264 preset of the burner; the contract's is {@code medium} (tests and demos may choose a faster one). */
    public final String burnerPreset;
    /**
     * Whether the downloader may fetch from loopback, private, link-local and similar addresses
     * ({@code DOWNLOADER_ALLOW_PRIVATE_NETWORKS}); off, except in the local all-in-one mode
     * (orchestrator and downloader in one process, no {@code NEXT_BASE_URL}), where the demo
     * downloads from a local URL.
     */
    public final boolean allowPrivateNetworks;
    /**
     * Non-public addresses the downloader may reach all the same ({@code DOWNLOADER_EGRESS_ALLOW}:
     * {@code ADDRESS:PORT}, {@code ADDRESS} or {@code ADDRESS/PREFIX}, comma-separated; parsed by the
     * downloader's {@code EgressPolicy}).
     */
    public final String egressAllow;
    /** The largest subtitles file the burner takes ({@code MAX_SUBTITLES_BYTES}, shared with the orchestrator's mirror). */
    public final long maxSubtitlesBytes;
    /** A cookies.txt used by every download that brings no cookies of its own ({@code YTDLP_COOKIES_FILE}). */
    public final Path cookiesFile;
    /**
     * {@code RUNNER_ADVERTISED_URL}: the address (scheme, host, port) at which the orchestrator can
     * reach this process, told to it in each job's answer and callbacks (the pod's IP in Kubernetes);
     * null: the runner's own address (AdvertisedUrl).
     */
    public final URI advertisedUrl;

    private RunnerConfig(Map<String, String> env) {
        requireSignature = Env.bool(env, "RUNNER_REQUIRE_SIGNATURE", true);
        int byCores = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        maxConcurrency = (int) Env.positiveLong(env, "RUNNER_MAX_CONCURRENCY", byCores);
        workDir = Path.of(Env.str(env, "RUNNER_WORK_DIR", Path.of(System.getProperty("java.io.tmpdir"), "media-orchestrator-jobs").toString()));
        ffmpegBin = Env.str(env, "FFMPEG_BIN", "ffmpeg");
        ffprobeBin = Env.str(env, "FFPROBE_BIN", "ffprobe");
        ytDlpBin = Env.str(env, "YTDLP_BIN", "yt-dlp");
        mihomoBin = Env.str(env, "MIHOMO_BIN", "mihomo");
        mihomoPort = Env.port(env, "MIHOMO_PORT", 7890);
        mihomoSocksPort = Env.port(env, "MIHOMO_SOCKS_PORT", 7891);
        clashMode = Env.str(env, "CLASH_MODE", "Rule");
        clashSubscriptionUrl = Env.str(env, "CLASH_SUBSCRIPTION_URL", null);
        clashRawConfig = Env.str(env, "CLASH_RAW_CONFIG", null);
        burnerTimeoutSeconds = Env.positiveLong(env, "RUNNER_BURNER_TIMEOUT_SECONDS", 7200);
        downloaderTimeoutSeconds = Env.positiveLong(env, "RUNNER_DOWNLOADER_TIMEOUT_SECONDS", 3600);
        retryAfterSeconds = (int) Env.positiveLong(env, "RUNNER_RETRY_AFTER_SECONDS", 10);
        stallSeconds = Env.positiveLong(env, "RUNNER_STALL_SECONDS", 300);
        burnerPreset = Env.str(env, "BURNER_X264_PRESET", "medium");
        String roles = Env.str(env, "ROLES", "orchestrator,burner,downloader");
        boolean localAllInOne = roles.contains("orchestrator") && roles.contains("downloader")
                && Env.str(env, "NEXT_BASE_URL", null) == null;
        allowPrivateNetworks = Env.bool(env, "DOWNLOADER_ALLOW_PRIVATE_NETWORKS", localAllInOne);
        egressAllow = Env.str(env, "DOWNLOADER_EGRESS_ALLOW", "");
        maxSubtitlesBytes = Env.positiveLong(env, "MAX_SUBTITLES_BYTES", dev.mediaorchestrator.Config.DEFAULT_MAX_SUBTITLES_BYTES);
        String cookies = Env.str(env, "YTDLP_COOKIES_FILE", null);
        cookiesFile = cookies == null ? null : Path.of(cookies);
        advertisedUrl = Env.url(env, "RUNNER_ADVERTISED_URL", null);
        if (!burnerPreset.matches("ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow")) {
            throw new dev.mediaorchestrator.Config.ConfigException("BURNER_X264_PRESET: not an x264 preset: '" + burnerPreset + "'");
        }
    }

    public static RunnerConfig fromEnv(Map<String, String> env) {
        return new RunnerConfig(env);
    }
}
