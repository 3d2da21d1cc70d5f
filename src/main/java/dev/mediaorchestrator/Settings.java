package dev.mediaorchestrator;

import dev.mediaorchestrator.orchestrator.RetrySchedule;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Every environment variable the service reads, with its default: defined here only. {@link Config},
 * {@code runner.RunnerConfig} and {@link TracingConfig} read them through {@link Env}; logback.xml
 * reads {@code LOG_LEVEL} and {@code LOG_FORMAT} itself, and the JVM {@code LANG}. README's
 * settings table says what each is for; SettingsTest holds its names and defaults to this list
 * (checked rather than generated: the table's meanings are prose with links, which belong in the
 * README, while names and defaults are what drifts).
 */
public final class Settings {
    private Settings() {
    }

    // ---- the orchestrator (and the process)
    public static final Setting PORT = Setting.of("PORT", "8787");
    public static final Setting HOST = Setting.derived("HOST", "`0.0.0.0` with a secret, else `127.0.0.1`");
    public static final Setting JOB_CALLBACK_HMAC_SECRET = Setting.derived("JOB_CALLBACK_HMAC_SECRET",
            "generated in `./data/secret` (loopback only)");
    public static final Setting JOB_CALLBACK_HMAC_SECRET_PREVIOUS = Setting.none("JOB_CALLBACK_HMAC_SECRET_PREVIOUS");
    public static final Setting CALLBACK_RETRY_SCHEDULE = Setting.of("CALLBACK_RETRY_SCHEDULE", RetrySchedule.DEFAULT);
    public static final Setting CALLBACK_TIMEOUT_SECONDS = Setting.of("CALLBACK_TIMEOUT_SECONDS", "10");
    public static final Setting JOB_MAX_ATTEMPTS = Setting.of("JOB_MAX_ATTEMPTS", "2");
    public static final Setting JOB_TTL_SECONDS = Setting.of("JOB_TTL_SECONDS", "86400");
    public static final Setting NEXT_BASE_URL = Setting.none("NEXT_BASE_URL");
    public static final Setting CONTAINER_BASE_URL = Setting.derived("CONTAINER_BASE_URL",
            "all-in-one: `http://127.0.0.1:$PORT/runners/burner-ffmpeg`");
    public static final Setting CONTAINER_BASE_URL_DOWNLOADER = Setting.derived("CONTAINER_BASE_URL_DOWNLOADER",
            "all-in-one: `…/runners/media-downloader`");
    public static final Setting CONTAINER_BASE_URL_REMOTION = Setting.none("CONTAINER_BASE_URL_REMOTION");
    public static final Setting ORCHESTRATOR_BASE_URL_CONTAINER = Setting.derived("ORCHESTRATOR_BASE_URL_CONTAINER", "own URL");
    public static final Setting ORCHESTRATOR_BASE_URL_NEXT = Setting.derived("ORCHESTRATOR_BASE_URL_NEXT", "own URL");
    public static final Setting R2_S3_ENDPOINT = Setting.derived("R2_S3_ENDPOINT", "unset → embedded S3");
    public static final Setting R2_ACCESS_KEY_ID = Setting.none("R2_ACCESS_KEY_ID");
    public static final Setting R2_SECRET_ACCESS_KEY = Setting.none("R2_SECRET_ACCESS_KEY");
    public static final Setting R2_S3_PUBLIC_ENDPOINT = Setting.derived("R2_S3_PUBLIC_ENDPOINT", "`R2_S3_ENDPOINT`");
    public static final Setting DASHBOARD_TOKEN = Setting.none("DASHBOARD_TOKEN");
    public static final Setting DASHBOARD_EVENTS_HEARTBEAT_SECONDS = Setting.of("DASHBOARD_EVENTS_HEARTBEAT_SECONDS", "15");
    public static final Setting R2_CREATE_BUCKET = Setting.of("R2_CREATE_BUCKET", "false");
    public static final Setting R2_BUCKET_NAME = Setting.of("R2_BUCKET_NAME", "vidgen-render");
    public static final Setting R2_S3_REGION = Setting.of("R2_S3_REGION", "auto");
    public static final Setting PRESIGN_TTL_SECONDS = Setting.of("PRESIGN_TTL_SECONDS", "600");
    public static final Setting MIRROR_INPUTS = Setting.of("MIRROR_INPUTS", "true");
    public static final Setting TRANSFER_MODE = Setting.derived("TRANSFER_MODE", "`direct` with `R2_S3_ENDPOINT`, else `fallback`");
    public static final Setting ARTIFACTS_REDIRECT = Setting.derived("ARTIFACTS_REDIRECT",
            "`true` in direct mode with `R2_S3_ENDPOINT`, else `false`");
    public static final Setting ROLES = Setting.of("ROLES", "orchestrator,burner,downloader");
    public static final Setting DATA_DIR = Setting.of("DATA_DIR", "./data");
    public static final Setting S3_EMBEDDED_DIR = Setting.derived("S3_EMBEDDED_DIR", "`$DATA_DIR/bucket`");
    public static final Setting S3_EMBEDDED_PORT = Setting.of("S3_EMBEDDED_PORT", "0", "free port");
    public static final Setting DISPATCH_TIMEOUT_MS = Setting.of("DISPATCH_TIMEOUT_MS", "15000");
    public static final Setting ROUTES_RELOAD = Setting.of("ROUTES_RELOAD", "false");
    public static final Setting ROUTES_RELOAD_DIR = Setting.of("ROUTES_RELOAD_DIR", "src/main/resources/routes");
    public static final Setting MEDIA_DIR = Setting.of("MEDIA_DIR", "./media");
    public static final Setting COMPLETION_POLL_INTERVAL_MS = Setting.of("COMPLETION_POLL_INTERVAL_MS", "2000");
    public static final Setting STORE_RETRY_SECONDS = Setting.of("STORE_RETRY_SECONDS", "8");
    public static final Setting CLUSTER_SERVICE = Setting.of("CLUSTER_SERVICE", "bucket");
    public static final Setting HOSTNAME = Setting.derived("HOSTNAME", "the pod's name (Kubernetes sets it)");
    public static final Setting DISPATCH_DEADLINE_SECONDS = Setting.of("DISPATCH_DEADLINE_SECONDS", "600");
    /** Every engine's, when set; else each engine's own default below. */
    public static final Setting JOB_TIMEOUT_SECONDS = Setting.none("JOB_TIMEOUT_SECONDS");
    public static final Setting JOB_TIMEOUT_SECONDS_BURNER_FFMPEG = Setting.of("JOB_TIMEOUT_SECONDS_BURNER_FFMPEG", "7200");
    public static final Setting JOB_TIMEOUT_SECONDS_MEDIA_DOWNLOADER = Setting.of("JOB_TIMEOUT_SECONDS_MEDIA_DOWNLOADER", "3600");
    public static final Setting JOB_TIMEOUT_SECONDS_RENDERER_REMOTION = Setting.of("JOB_TIMEOUT_SECONDS_RENDERER_REMOTION", "7200");
    public static final Setting RUNNER_PROBE_SECONDS = Setting.of("RUNNER_PROBE_SECONDS", "30");
    public static final Setting RUNNER_COMPLETED_GRACE_SECONDS = Setting.of("RUNNER_COMPLETED_GRACE_SECONDS", "60");
    /** Private (RFC 1918, RFC 4193), CGNAT (pod networks use it) and loopback ranges. */
    public static final Setting RUNNER_ADDRESS_CIDRS = Setting.of("RUNNER_ADDRESS_CIDRS",
            "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.0/8,fc00::/7,::1/128");
    public static final Setting JOBS_RATE_PER_MINUTE = Setting.of("JOBS_RATE_PER_MINUTE", "120");
    public static final Setting APP_CONNECT_TIMEOUT_SECONDS = Setting.of("APP_CONNECT_TIMEOUT_SECONDS", "5");
    public static final Setting APP_READ_TIMEOUT_SECONDS = Setting.of("APP_READ_TIMEOUT_SECONDS", "60");
    public static final Setting MIRROR_CONCURRENCY = Setting.of("MIRROR_CONCURRENCY", "8");
    public static final Setting ARTIFACT_CONCURRENCY = Setting.of("ARTIFACT_CONCURRENCY", "32");
    public static final Setting MAX_ACTIVE_JOBS = Setting.of("MAX_ACTIVE_JOBS", "4");
    /** A feature film's bilingual WebVTT is a few hundred KiB. */
    public static final Setting MAX_SUBTITLES_BYTES = Setting.of("MAX_SUBTITLES_BYTES", "5242880", "5242880 (5 MiB)");
    /** A burn longer than this is split across burners (docs/segmented-burn.md); 0: never. Below ~3 min of 720p it does not pay. */
    public static final Setting BURN_SEGMENT_SECONDS = Setting.of("BURN_SEGMENT_SECONDS", "300");

    // ---- the runners
    public static final Setting RUNNER_MAX_CONCURRENCY = Setting.derived("RUNNER_MAX_CONCURRENCY", "1 per 2 cores, at least 1");
    public static final Setting RUNNER_REQUIRE_SIGNATURE = Setting.of("RUNNER_REQUIRE_SIGNATURE", "true");
    public static final Setting RUNNER_WORK_DIR = Setting.derived("RUNNER_WORK_DIR", "`$TMPDIR/media-orchestrator-jobs`");
    public static final Setting RUNNER_STALL_SECONDS = Setting.of("RUNNER_STALL_SECONDS", "300");
    public static final Setting RUNNER_ADVERTISED_URL = Setting.derived("RUNNER_ADVERTISED_URL", "the address it listens on (below)");
    public static final Setting RUNNER_BURNER_TIMEOUT_SECONDS = Setting.of("RUNNER_BURNER_TIMEOUT_SECONDS", "7200");
    public static final Setting RUNNER_DOWNLOADER_TIMEOUT_SECONDS = Setting.of("RUNNER_DOWNLOADER_TIMEOUT_SECONDS", "3600");
    public static final Setting RUNNER_RETRY_AFTER_SECONDS = Setting.of("RUNNER_RETRY_AFTER_SECONDS", "10");
    public static final Setting BURNER_X264_PRESET = Setting.of("BURNER_X264_PRESET", "medium");
    public static final Setting FFMPEG_BIN = Setting.of("FFMPEG_BIN", "ffmpeg", "on `PATH`");
    public static final Setting FFPROBE_BIN = Setting.of("FFPROBE_BIN", "ffprobe", "on `PATH`");
    public static final Setting YTDLP_BIN = Setting.of("YTDLP_BIN", "yt-dlp", "on `PATH`");
    /** A Python yt-dlp is loaded once and forked for each download (downloader/YtDlpPreload); false: exec each time. */
    public static final Setting YTDLP_PRELOAD = Setting.of("YTDLP_PRELOAD", "true");
    public static final Setting MIHOMO_BIN = Setting.of("MIHOMO_BIN", "mihomo", "on `PATH`");
    public static final Setting CLASH_SUBSCRIPTION_URL = Setting.none("CLASH_SUBSCRIPTION_URL");
    public static final Setting CLASH_RAW_CONFIG = Setting.none("CLASH_RAW_CONFIG");
    public static final Setting CLASH_MODE = Setting.of("CLASH_MODE", "Rule");
    public static final Setting MIHOMO_PORT = Setting.of("MIHOMO_PORT", "7890");
    public static final Setting MIHOMO_SOCKS_PORT = Setting.of("MIHOMO_SOCKS_PORT", "7891");
    public static final Setting DOWNLOADER_ALLOW_PRIVATE_NETWORKS = Setting.derived("DOWNLOADER_ALLOW_PRIVATE_NETWORKS",
            "false (true in local all-in-one mode)");
    public static final Setting DOWNLOADER_EGRESS_ALLOW = Setting.of("DOWNLOADER_EGRESS_ALLOW", "", "empty");
    public static final Setting YTDLP_COOKIES_FILE = Setting.none("YTDLP_COOKIES_FILE");

    // ---- logs and traces
    /** Read by the JVM: a runner needs a UTF-8 locale ({@code App.checkEncoding}). */
    public static final Setting LANG = Setting.none("LANG");
    /** Read by logback.xml. */
    public static final Setting LOG_LEVEL = Setting.of("LOG_LEVEL", "INFO");
    /** Read by logback.xml, checked by {@link Config}. */
    public static final Setting LOG_FORMAT = Setting.of("LOG_FORMAT", "text");
    public static final Setting OTEL_EXPORTER_OTLP_ENDPOINT = Setting.derived("OTEL_EXPORTER_OTLP_ENDPOINT", "unset: tracing off");
    public static final Setting OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = Setting.none("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    public static final Setting OTEL_EXPORTER_OTLP_HEADERS = Setting.none("OTEL_EXPORTER_OTLP_HEADERS");
    public static final Setting OTEL_EXPORTER_OTLP_PROTOCOL = Setting.of("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
    public static final Setting OTEL_SERVICE_NAME = Setting.derived("OTEL_SERVICE_NAME", "the role");

    /** Every setting above, in their order. */
    public static final List<Setting> ALL = all();

    private static List<Setting> all() {
        List<Setting> out = new ArrayList<>();
        for (Field f : Settings.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == Setting.class) {
                try {
                    out.add((Setting) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return List.copyOf(out);
    }
}
