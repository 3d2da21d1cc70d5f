package dev.mediaorchestrator.cli;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.ToolVersions;
import dev.mediaorchestrator.storage.Storage;

import java.io.PrintStream;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.mediaorchestrator.cli.CheckResult.fail;
import static dev.mediaorchestrator.cli.CheckResult.ok;
import static dev.mediaorchestrator.cli.CheckResult.shown;
import java.util.Locale;

/**
 * {@code java -jar media-orchestrator.jar check}: with the service's own environment, checks what a
 * deployment needs wired right and reports one plain line each, with what to fix when it fails
 * (the seed's first "common problem" is a container that cannot reach the app or the
 * orchestrator; a wrong R2_S3_PUBLIC_ENDPOINT or an unreachable runner otherwise shows up only as
 * a failed job). For an orchestrator: the settings, the bucket, presigned URLs for the runners and
 * for the app ({@link BucketChecks}), the orchestrator's own URLs, every runner with its tools, the
 * app ({@link ServiceChecks}), the clock. For a runner alone: the settings and its tools. Each
 * check is asked from where the command runs, so it runs where the service runs (its container).
 * Exit status 0 when every check passes, 1 when one fails, 2 when the settings do not parse. What
 * cannot be seen from here (a loopback R2_S3_PUBLIC_ENDPOINT, the app's own machine) is a warning
 * that says what to confirm where, not a failure.
 * Secrets never reach the report: no secret key, HMAC secret or presigned URL, and URLs without
 * user info or query.
 */
public final class DeploymentCheck {
    /** One network request of the check at most this long (connect, then answer). */
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TOOLS_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, String> env;
    private final PrintStream out;
    private final Clock clock;
    private final List<CheckResult> results = new ArrayList<>();

    public DeploymentCheck(Map<String, String> env, PrintStream out, Clock clock) {
        this.env = env;
        this.out = out;
        this.clock = clock;
    }

    /** Runs every check, printing each line as it is known; returns the exit status. */
    public int run() {
        Config config;
        try {
            config = Config.fromEnv(env);
        } catch (Config.ConfigException e) {
            report(fail("config", e.getMessage(), "correct the variable named first (README, Configuration, lists every setting)"));
            return summary(2);
        }
        report(ok("config", describe(config)));
        HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
        if (config.roles.contains("orchestrator")) {
            BucketChecks bucket = new BucketChecks(config, http, clock, TIMEOUT, this::report);
            if (config.s3Endpoint == null) {
                bucket.embedded();
            } else {
                try (Storage storage = new Storage(config.s3Endpoint, config.s3PublicEndpoint, config.s3AccessKeyId,
                        config.s3SecretAccessKey, config.region, config.bucket)) {
                    bucket.run(storage);
                }
            }
            new ServiceChecks(config, env, http, clock, TIMEOUT, this::report).run();
        } else {
            runnerTools(config);
        }
        return summary(results.stream().anyMatch(r -> r.status() == CheckResult.Status.FAIL) ? 1 : 0);
    }

    /** A runner alone: the tools its jobs run, asked as its {@code /healthz} asks them. */
    private void runnerTools(Config config) {
        RunnerConfig rc;
        try {
            rc = RunnerConfig.fromEnv(env);
        } catch (Config.ConfigException e) {
            report(fail("config", e.getMessage(), "correct the variable named first (README lists the runner settings)"));
            return;
        }
        for (String role : config.roles) {
            String engine = role.equals("burner") ? "burner-ffmpeg" : "media-downloader";
            ToolVersions versions = new ToolVersions(ToolVersions.of(engine, rc));
            CountDownLatch known = new CountDownLatch(1);
            versions.whenKnown(v -> known.countDown());
            try {
                known.await(TOOLS_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Map<String, String> tools = versions.now();
            List<String> missing = tools.entrySet().stream()
                    .filter(t -> ServiceChecks.REQUIRED_TOOLS.contains(t.getKey()) && t.getValue().equals("missing")).map(Map.Entry::getKey).toList();
            String shownTools = String.join(", ", tools.entrySet().stream().map(t -> t.getKey() + " " + t.getValue()).toList());
            report(missing.isEmpty() ? ok("tools of " + engine, shownTools)
                    : fail("tools of " + engine, "missing " + String.join(", ", missing) + " (" + shownTools + ")",
                    "install them, or point FFMPEG_BIN / FFPROBE_BIN / YTDLP_BIN at them (the images have them)"));
        }
    }

    private static String describe(Config config) {
        String roles = String.join(",", config.roles.stream().sorted().toList());
        if (!config.roles.contains("orchestrator")) {
            return "the settings parse (roles " + roles + ": a runner; the orchestrator checks its wiring)";
        }
        return "the settings parse (roles " + roles + "; " + config.transferMode.name().toLowerCase(Locale.ROOT) + " mode; bucket "
                + config.bucket + (config.s3Endpoint == null ? " in the embedded store" : " at " + shown(config.s3Endpoint)) + ")";
    }

    private void report(CheckResult r) {
        results.add(r);
        out.println(r.format());
        out.flush();
    }

    private int summary(int status) {
        long failed = results.stream().filter(r -> r.status() == CheckResult.Status.FAIL).count();
        long skipped = results.stream().filter(r -> r.status() == CheckResult.Status.SKIP).count();
        long warned = results.stream().filter(r -> r.status() == CheckResult.Status.WARN).count();
        String more = (skipped == 0 ? "" : ", " + skipped + " skipped") + (warned == 0 ? "" : ", " + warned + " warning to confirm elsewhere");
        out.println(failed == 0 ? "all checks passed (" + results.size() + more + ")"
                : failed + " of " + results.size() + " checks failed" + more);
        return status;
    }
}
