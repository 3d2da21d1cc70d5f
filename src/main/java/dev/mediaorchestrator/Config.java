package dev.mediaorchestrator;

import dev.mediaorchestrator.common.Cidr;
import dev.mediaorchestrator.orchestrator.RetrySchedule;
import dev.mediaorchestrator.orchestrator.Shares;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Service configuration, read from environment variables (names as in CONTRACT.md, plus a few of
 * our own documented in README.md). Every malformed value fails with a {@link ConfigException}
 * whose message starts with the variable's name.
 */
public final class Config {
    public enum TransferMode { DIRECT, FALLBACK }

    /** {@code CLUSTER_SERVICE}: where the orchestrator replicas find each other and their leader (orchestrator.Shares). */
    public enum ClusterService { BUCKET, KUBERNETES }

    public static final Set<String> ALL_ROLES = Set.of("orchestrator", "burner", "downloader");

    public final int port;
    public final String host;
    /** May be null: then the service generates a local secret (loopback only), see {@link SecretStore}. */
    public final String secret;
    /** {@code JOB_CALLBACK_HMAC_SECRET_PREVIOUS}: still accepted on signed requests, and signed with too (webhook-signature), during a rotation. */
    public final String secretPrevious;
    /** {@code CALLBACK_RETRY_SCHEDULE}: the delays between attempts of the terminal callback. */
    public final RetrySchedule callbackRetrySchedule;
    /** {@code CALLBACK_TIMEOUT_SECONDS}: one attempt's limit, so a hanging app holds no sender. */
    public final long callbackTimeoutSeconds;
    /** {@code JOB_MAX_ATTEMPTS}: how many times a job may be given to a runner (a runner that lost it: dispatched again). */
    public final int jobMaxAttempts;
    public final long jobTtlSeconds;
    public final URI nextBaseUrl;
    /**
     * Local mode: no {@code NEXT_BASE_URL}. The orchestrator then stands in for the app itself,
     * serving {@code /api/media/...} from {@link #mediaDir} and recording terminal callbacks in
     * {@code DATA_DIR/callbacks.jsonl}, through the same HTTP paths as the real app.
     */
    public final boolean localApp;
    public final Path mediaDir;
    public final URI containerBaseUrl;
    public final URI containerBaseUrlDownloader;
    public final URI containerBaseUrlRemotion;
    public final URI orchestratorBaseUrlContainer;
    public final URI orchestratorBaseUrlNext;
    /** Null: start the embedded S3 server. */
    public final URI s3Endpoint;
    /** {@code R2_S3_PUBLIC_ENDPOINT}: the endpoint presigned GETs for the app are signed for; {@code R2_S3_ENDPOINT} when unset. */
    public final URI s3PublicEndpoint;
    /** {@code R2_CREATE_BUCKET}: create the bucket at start when it does not exist (MinIO in compose; R2 buckets are made in its console). */
    public final boolean createBucket;
    public final String s3AccessKeyId;
    public final String s3SecretAccessKey;
    public final String bucket;
    public final String region;
    public final long presignTtlSeconds;
    public final boolean mirrorInputs;
    public final Path dataDir;
    public final Path embeddedS3Dir;
    public final int embeddedS3Port;
    public final TransferMode transferMode;
    /** {@code CLUSTER_SERVICE}: {@code bucket} (default: the replicas on one bucket find each other in it) or {@code kubernetes} (Leases). */
    public final ClusterService clusterService;
    /** {@code HOSTNAME}: the pod's name, this replica's id in the Kubernetes cluster service (null elsewhere). */
    public final String podName;
    /**
     * {@code ARTIFACTS_REDIRECT}: {@code GET /artifacts} answers 302 to a presigned GET of the object
     * instead of relaying it. Default: on in direct mode with an S3 endpoint, off otherwise (the
     * embedded store is served from its files, which is faster than a second HTTP hop).
     */
    public final boolean artifactsRedirect;
    public final Set<String> roles;
    public final boolean routesReload;
    public final Path routesReloadDir;
    public final long dispatchTimeoutMs;
    public final long dispatchDeadlineSeconds;
    public final long completionPollIntervalMs;
    /**
     * {@code STORE_RETRY_SECONDS}: how long one call to the bucket tries again after a transient
     * failure (no connection, a time-out, 5xx, 429, {@code SlowDown}) before it fails with a 503
     * naming the bucket. Under the runners' 10 s callback time-out, over R2's one write per second per key.
     */
    public final long storeRetrySeconds;
    public final int maxActiveJobs;
    public final long jobsRatePerMinute;
    /** {@code APP_CONNECT_TIMEOUT_SECONDS}, {@code APP_READ_TIMEOUT_SECONDS}: fetching the app's media (connect; first byte and each read). */
    public final long appConnectTimeoutSeconds;
    public final long appReadTimeoutSeconds;
    /** {@code MIRROR_CONCURRENCY}: sources fetched from the app at once; beyond it {@code POST /jobs} is 503 with Retry-After. */
    public final int mirrorConcurrency;
    /** The default of {@code MAX_SUBTITLES_BYTES} ({@link Settings#MAX_SUBTITLES_BYTES}). */
    public static final long DEFAULT_MAX_SUBTITLES_BYTES = Long.parseLong(Settings.MAX_SUBTITLES_BYTES.value());
    /**
     * {@code MAX_SUBTITLES_BYTES}: the largest subtitles file a burner job takes; the mirror answers
     * {@code POST /jobs} 400 when the app declares more, the burner fails a job given more.
     */
    public final long maxSubtitlesBytes;
    /** {@code ARTIFACT_CONCURRENCY}: {@code /artifacts} and {@code /inputs} bodies streamed at once; beyond it 503 with Retry-After. */
    public final int artifactConcurrency;
    /** {@code RUNNER_PROBE_SECONDS}: a dispatched job whose runner has been silent this long is probed at its {@code /status}. */
    public final long runnerProbeSeconds;
    /** {@code RUNNER_COMPLETED_GRACE_SECONDS}: a job whose runner said {@code completed} fails when its outputs are still missing this long after. */
    public final long runnerCompletedGraceSeconds;
    /**
     * {@code RUNNER_ADDRESS_CIDRS}: the ranges a runner's own address ({@code runnerUrl}, which the
     * runner reports) must lie in for the orchestrator to probe and cancel there (RunnerAddress).
     */
    public final List<Cidr> runnerAddressRanges;
    /** {@code LOG_FORMAT}: {@code text} or {@code json} (logback.xml reads the variable itself; checked here). */
    public final String logFormat;
    /** OpenTelemetry tracing ({@code OTEL_EXPORTER_OTLP_ENDPOINT}…): off unless an endpoint is set. */
    public final TracingConfig tracing;
    /** {@code DASHBOARD_TOKEN}: off loopback, the dashboard and {@code GET /jobs} need it (at least 16 characters); on loopback they are open. */
    public final String dashboardToken;
    /** {@code DASHBOARD_EVENTS_HEARTBEAT_SECONDS}: a comment line on each open {@code /jobs/events} stream this often (proxies keep it open). */
    public final long dashboardHeartbeatSeconds;
    /** This process's own base URL, as a client on this machine reaches it. */
    public final URI ownBaseUrl;
    /**
     * {@code BURN_SEGMENT_SECONDS}: a burn job whose input is longer is split into segments of about
     * this length, burned by any free burners and joined (docs/segmented-burn.md); 0 turns it off.
     */
    public final long burnSegmentSeconds;
    private final Map<String, Long> jobTimeoutSeconds = new HashMap<>();

    private Config(Map<String, String> env) {
        port = Env.port(env, Settings.PORT);
        secret = Env.given(env, Settings.JOB_CALLBACK_HMAC_SECRET);
        secretPrevious = Env.given(env, Settings.JOB_CALLBACK_HMAC_SECRET_PREVIOUS);
        try {
            callbackRetrySchedule = RetrySchedule.parse(Env.str(env, Settings.CALLBACK_RETRY_SCHEDULE));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        callbackTimeoutSeconds = Env.positiveLong(env, Settings.CALLBACK_TIMEOUT_SECONDS);
        jobMaxAttempts = (int) Math.min(10, Env.positiveLong(env, Settings.JOB_MAX_ATTEMPTS));
        host = Env.str(env, Settings.HOST, secret == null ? "127.0.0.1" : "0.0.0.0");
        jobTtlSeconds = Env.positiveLong(env, Settings.JOB_TTL_SECONDS);
        presignTtlSeconds = Env.positiveLong(env, Settings.PRESIGN_TTL_SECONDS);
        if (presignTtlSeconds > 7 * 24 * 3600) {
            throw new ConfigException("PRESIGN_TTL_SECONDS: at most 604800 (7 days, the S3 presign limit), got " + presignTtlSeconds);
        }
        mirrorInputs = Env.bool(env, Settings.MIRROR_INPUTS);
        roles = roles(Env.str(env, Settings.ROLES));
        String ownBase = "http://" + (isWildcard(host) ? "127.0.0.1" : hostForUrl(host)) + ":" + port;
        ownBaseUrl = URI.create(ownBase);
        dashboardToken = Env.given(env, Settings.DASHBOARD_TOKEN);
        if (dashboardToken != null && dashboardToken.length() < 16) {
            throw new ConfigException("DASHBOARD_TOKEN: at least 16 characters (it guards the dashboard off loopback), got " + dashboardToken.length());
        }
        dashboardHeartbeatSeconds = Env.positiveLong(env, Settings.DASHBOARD_EVENTS_HEARTBEAT_SECONDS);
        URI next = Env.url(env, Settings.NEXT_BASE_URL, null);
        localApp = next == null && roles.contains("orchestrator");
        nextBaseUrl = localApp ? URI.create(ownBase) : next;
        mediaDir = Path.of(Env.str(env, Settings.MEDIA_DIR));
        boolean allInOne = roles.contains("orchestrator");
        containerBaseUrl = Env.url(env, Settings.CONTAINER_BASE_URL,
                allInOne && roles.contains("burner") ? ownBase + "/runners/burner-ffmpeg" : null);
        containerBaseUrlDownloader = Env.url(env, Settings.CONTAINER_BASE_URL_DOWNLOADER,
                allInOne && roles.contains("downloader") && env.get(Settings.CONTAINER_BASE_URL.name()) == null
                        ? ownBase + "/runners/media-downloader" : null);
        containerBaseUrlRemotion = Env.url(env, Settings.CONTAINER_BASE_URL_REMOTION, null);
        orchestratorBaseUrlContainer = Env.url(env, Settings.ORCHESTRATOR_BASE_URL_CONTAINER, ownBase);
        orchestratorBaseUrlNext = Env.url(env, Settings.ORCHESTRATOR_BASE_URL_NEXT, ownBase);

        String endpoint = Env.given(env, Settings.R2_S3_ENDPOINT);
        s3Endpoint = endpoint == null ? null : s3Endpoint(endpoint);
        String publicEndpoint = Env.given(env, Settings.R2_S3_PUBLIC_ENDPOINT);
        if (publicEndpoint != null && s3Endpoint == null) {
            throw new ConfigException("R2_S3_PUBLIC_ENDPOINT: needs R2_S3_ENDPOINT (the embedded store is reached on loopback only)");
        }
        s3PublicEndpoint = publicEndpoint == null ? s3Endpoint : s3Endpoint("R2_S3_PUBLIC_ENDPOINT", publicEndpoint);
        s3AccessKeyId = Env.given(env, Settings.R2_ACCESS_KEY_ID);
        s3SecretAccessKey = Env.given(env, Settings.R2_SECRET_ACCESS_KEY);
        if (s3Endpoint != null && s3AccessKeyId == null) {
            throw new ConfigException("R2_ACCESS_KEY_ID: required when R2_S3_ENDPOINT is set");
        }
        if (s3Endpoint != null && s3SecretAccessKey == null) {
            throw new ConfigException("R2_SECRET_ACCESS_KEY: required when R2_S3_ENDPOINT is set");
        }
        bucket = Env.str(env, Settings.R2_BUCKET_NAME);
        createBucket = Env.bool(env, Settings.R2_CREATE_BUCKET);
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new ConfigException("R2_BUCKET_NAME: not a valid bucket name: '" + bucket + "'");
        }
        region = Env.str(env, Settings.R2_S3_REGION);
        dataDir = Path.of(Env.str(env, Settings.DATA_DIR));
        embeddedS3Dir = Path.of(Env.str(env, Settings.S3_EMBEDDED_DIR, dataDir.resolve("bucket").toString()));
        embeddedS3Port = Env.port(env, Settings.S3_EMBEDDED_PORT);
        String mode = Env.given(env, Settings.TRANSFER_MODE);
        if (mode == null) {
            transferMode = s3Endpoint != null ? TransferMode.DIRECT : TransferMode.FALLBACK;
        } else {
            try {
                transferMode = TransferMode.valueOf(mode.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("TRANSFER_MODE: must be direct or fallback, got '" + mode + "'");
            }
        }
        String cluster = Env.str(env, Settings.CLUSTER_SERVICE);
        try {
            clusterService = ClusterService.valueOf(cluster.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("CLUSTER_SERVICE: must be bucket or kubernetes, got '" + cluster + "'");
        }
        podName = clusterService == ClusterService.KUBERNETES ? Env.given(env, Settings.HOSTNAME) : null;
        if (clusterService == ClusterService.KUBERNETES && !Shares.isMemberId(podName)) {
            throw new ConfigException("HOSTNAME: CLUSTER_SERVICE=kubernetes needs the pod's name here (1-100 of A-Z a-z 0-9 . _ -), got '"
                    + podName + "'");
        }
        artifactsRedirect = Env.bool(env, Settings.ARTIFACTS_REDIRECT, transferMode == TransferMode.DIRECT && s3Endpoint != null);
        routesReload = Env.bool(env, Settings.ROUTES_RELOAD);
        routesReloadDir = Path.of(Env.str(env, Settings.ROUTES_RELOAD_DIR));
        dispatchTimeoutMs = Env.positiveLong(env, Settings.DISPATCH_TIMEOUT_MS);
        dispatchDeadlineSeconds = Env.positiveLong(env, Settings.DISPATCH_DEADLINE_SECONDS);
        completionPollIntervalMs = Env.positiveLong(env, Settings.COMPLETION_POLL_INTERVAL_MS);
        storeRetrySeconds = Env.positiveLong(env, Settings.STORE_RETRY_SECONDS);
        if (storeRetrySeconds > 60) {
            throw new ConfigException("STORE_RETRY_SECONDS: at most 60 (a request waits this long for the bucket), got " + storeRetrySeconds);
        }
        maxActiveJobs = (int) Env.positiveLong(env, Settings.MAX_ACTIVE_JOBS);
        jobsRatePerMinute = Env.positiveLong(env, Settings.JOBS_RATE_PER_MINUTE);
        runnerProbeSeconds = Env.positiveLong(env, Settings.RUNNER_PROBE_SECONDS);
        runnerCompletedGraceSeconds = Env.positiveLong(env, Settings.RUNNER_COMPLETED_GRACE_SECONDS);
        runnerAddressRanges = cidrs(Settings.RUNNER_ADDRESS_CIDRS.name(), Env.str(env, Settings.RUNNER_ADDRESS_CIDRS));
        appConnectTimeoutSeconds = Env.positiveLong(env, Settings.APP_CONNECT_TIMEOUT_SECONDS);
        appReadTimeoutSeconds = Env.positiveLong(env, Settings.APP_READ_TIMEOUT_SECONDS);
        mirrorConcurrency = (int) Math.min(1000, Env.positiveLong(env, Settings.MIRROR_CONCURRENCY));
        artifactConcurrency = (int) Math.min(1000, Env.positiveLong(env, Settings.ARTIFACT_CONCURRENCY));
        tracing = TracingConfig.fromEnv(env);
        maxSubtitlesBytes = Env.positiveLong(env, Settings.MAX_SUBTITLES_BYTES);
        burnSegmentSeconds = burnSegmentSeconds(Env.str(env, Settings.BURN_SEGMENT_SECONDS));
        logFormat = Env.str(env, Settings.LOG_FORMAT).trim().toLowerCase(Locale.ROOT);
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new ConfigException("LOG_FORMAT: must be text or json, got '" + env.get(Settings.LOG_FORMAT.name()) + "'");
        }
        // JOB_TIMEOUT_SECONDS, when set, is every engine's default; an engine's own variable wins
        Long all = Env.given(env, Settings.JOB_TIMEOUT_SECONDS) == null ? null : Env.positiveLong(env, Settings.JOB_TIMEOUT_SECONDS, 0);
        Map<String, Setting> byEngine = Map.of("burner-ffmpeg", Settings.JOB_TIMEOUT_SECONDS_BURNER_FFMPEG,
                "media-downloader", Settings.JOB_TIMEOUT_SECONDS_MEDIA_DOWNLOADER, "renderer-remotion", Settings.JOB_TIMEOUT_SECONDS_RENDERER_REMOTION);
        byEngine.forEach((engine, setting) -> jobTimeoutSeconds.put(engine,
                Env.positiveLong(env, setting, all != null ? all : Long.parseLong(setting.value()))));
    }

    public static Config fromEnv(Map<String, String> env) {
        return new Config(env);
    }

    /** Why subtitles of {@code bytes} are refused: the same words from the mirror and from the burner. */
    public static String subtitlesTooLarge(long bytes, long max) {
        return "subtitles are " + bytes + " bytes, more than MAX_SUBTITLES_BYTES (" + max + ")";
    }

    /** Why subtitles of unknown length (chunked) are refused once more than {@code max} bytes came. */
    public static String subtitlesTooLarge(long max) {
        return "subtitles are more than MAX_SUBTITLES_BYTES (" + max + ") bytes";
    }

    /** {@code JOB_TIMEOUT_SECONDS} for an engine (per-engine variables {@code JOB_TIMEOUT_SECONDS_BURNER_FFMPEG} etc. win). */
    public long jobTimeoutSeconds(String engine) {
        return jobTimeoutSeconds.getOrDefault(engine, 7200L);
    }

    /** The runner base URL for an engine, or null when none is configured. */
    public URI runnerBaseUrl(String engine) {
        return switch (engine) {
            case "burner-ffmpeg" -> containerBaseUrl;
            case "media-downloader" -> containerBaseUrlDownloader != null ? containerBaseUrlDownloader : containerBaseUrl;
            case "renderer-remotion" -> containerBaseUrlRemotion != null ? containerBaseUrlRemotion : containerBaseUrl;
            default -> null;
        };
    }

    public boolean isLoopbackBind() {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    private static boolean isWildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static URI s3Endpoint(String value) {
        return s3Endpoint("R2_S3_ENDPOINT", value);
    }

    private static URI s3Endpoint(String name, String value) {
        String v = value.contains("://") ? value : "https://" + value;
        return Env.parseUrl(name, v);
    }

    /** {@code BURN_SEGMENT_SECONDS}: 0 (off) or a whole number of seconds of at least 2, at most a day. */
    private static long burnSegmentSeconds(String v) {
        try {
            long n = Long.parseLong(v.trim());
            if (n == 0 || n >= 2 && n <= 86_400) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ConfigException("BURN_SEGMENT_SECONDS: expected 0 (off) or a whole number of seconds from 2 to 86400, got '" + v + "'");
    }

    /** A comma-separated list of address ranges; {@code none} for an empty one. */
    private static List<Cidr> cidrs(String name, String value) {
        if (value.equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Cidr> out = new ArrayList<>();
        for (String part : value.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            try {
                out.add(Cidr.parse(part));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name + ": " + e.getMessage());
            }
        }
        return List.copyOf(out);
    }

    private static Set<String> roles(String value) {
        if (Env.blankToNull(value) == null) {
            return ALL_ROLES;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String r : value.split(",")) {
            String role = r.trim().toLowerCase(Locale.ROOT);
            if (role.isEmpty()) {
                continue;
            }
            if (!ALL_ROLES.contains(role)) {
                throw new ConfigException("ROLES: unknown role '" + role + "' (known: orchestrator, burner, downloader)");
            }
            out.add(role);
        }
        if (out.isEmpty()) {
            throw new ConfigException("ROLES: no role given");
        }
        return Set.copyOf(out);
    }

    /** A configuration error; its message names the variable. */
    public static final class ConfigException extends RuntimeException {
        public ConfigException(String message) {
            super(message);
        }
    }

    @Override
    public String toString() {
        // Never includes secrets.
        return "Config{port=" + port + ", host=" + host + ", roles=" + roles + ", bucket=" + bucket
                + ", s3=" + (s3Endpoint == null ? "embedded" : s3Endpoint) + ", transfer=" + transferMode
                + ", next=" + nextBaseUrl + "}";
    }
}
