package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.Env;
import dev.mediaorchestrator.Settings;

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
    /** {@code YTDLP_PRELOAD}: a Python yt-dlp is forked from a loaded copy instead of started. */
    public final boolean ytDlpPreload;
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
        requireSignature = Env.bool(env, Settings.RUNNER_REQUIRE_SIGNATURE);
        int byCores = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        maxConcurrency = (int) Env.positiveLong(env, Settings.RUNNER_MAX_CONCURRENCY, byCores);
        workDir = Path.of(Env.str(env, Settings.RUNNER_WORK_DIR, Path.of(System.getProperty("java.io.tmpdir"), "media-orchestrator-jobs").toString()));
        ffmpegBin = Env.str(env, Settings.FFMPEG_BIN);
        ffprobeBin = Env.str(env, Settings.FFPROBE_BIN);
        ytDlpBin = Env.str(env, Settings.YTDLP_BIN);
        ytDlpPreload = Env.bool(env, Settings.YTDLP_PRELOAD);
        mihomoBin = Env.str(env, Settings.MIHOMO_BIN);
        mihomoPort = Env.port(env, Settings.MIHOMO_PORT);
        mihomoSocksPort = Env.port(env, Settings.MIHOMO_SOCKS_PORT);
        clashMode = Env.str(env, Settings.CLASH_MODE);
        clashSubscriptionUrl = Env.str(env, Settings.CLASH_SUBSCRIPTION_URL);
        clashRawConfig = Env.str(env, Settings.CLASH_RAW_CONFIG);
        burnerTimeoutSeconds = Env.positiveLong(env, Settings.RUNNER_BURNER_TIMEOUT_SECONDS);
        downloaderTimeoutSeconds = Env.positiveLong(env, Settings.RUNNER_DOWNLOADER_TIMEOUT_SECONDS);
        retryAfterSeconds = (int) Env.positiveLong(env, Settings.RUNNER_RETRY_AFTER_SECONDS);
        stallSeconds = Env.positiveLong(env, Settings.RUNNER_STALL_SECONDS);
        burnerPreset = Env.str(env, Settings.BURNER_X264_PRESET);
        String roles = Env.str(env, Settings.ROLES);
        boolean localAllInOne = roles.contains("orchestrator") && roles.contains("downloader")
                && Env.given(env, Settings.NEXT_BASE_URL) == null;
        allowPrivateNetworks = Env.bool(env, Settings.DOWNLOADER_ALLOW_PRIVATE_NETWORKS, localAllInOne);
        egressAllow = Env.str(env, Settings.DOWNLOADER_EGRESS_ALLOW);
        maxSubtitlesBytes = Env.positiveLong(env, Settings.MAX_SUBTITLES_BYTES);
        String cookies = Env.given(env, Settings.YTDLP_COOKIES_FILE);
        cookiesFile = cookies == null ? null : Path.of(cookies);
        advertisedUrl = Env.url(env, Settings.RUNNER_ADVERTISED_URL, null);
        if (!burnerPreset.matches("ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow")) {
            throw new Config.ConfigException("BURNER_X264_PRESET: not an x264 preset: '" + burnerPreset + "'");
        }
    }

    public static RunnerConfig fromEnv(Map<String, String> env) {
        return new RunnerConfig(env);
    }
}
