package dev.mediaorchestrator.cli;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.observability.BucketAdvice;
import dev.mediaorchestrator.observability.HealthChecks;
import dev.mediaorchestrator.observability.Observability;
import dev.mediaorchestrator.observability.RunnersHealthCheck;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static dev.mediaorchestrator.cli.CheckResult.fail;
import static dev.mediaorchestrator.cli.CheckResult.ok;
import static dev.mediaorchestrator.cli.CheckResult.shown;
import java.nio.charset.StandardCharsets;

/**
 * {@code check}'s lines about the services around the orchestrator, asked from where the check
 * runs: the orchestrator at the URLs it hands out ({@code ORCHESTRATOR_BASE_URL_CONTAINER},
 * {@code ORCHESTRATOR_BASE_URL_NEXT}), each configured runner ({@code CONTAINER_BASE_URL*}, its
 * {@code /healthz} through {@link RunnersHealthCheck#healthz}, with its tools' versions), and the
 * app ({@code NEXT_BASE_URL}).
 */
final class ServiceChecks {
    /** Tools without which a runner cannot do its jobs (Deno and mihomo are needed by some jobs only). */
    static final Set<String> REQUIRED_TOOLS = Set.of("ffmpeg", "ffprobe", "yt-dlp");

    private final Config config;
    private final Map<String, String> env;
    private final HttpClient http;
    private final Clock clock;
    private final Duration timeout;
    private final Consumer<CheckResult> report;

    ServiceChecks(Config config, Map<String, String> env, HttpClient http, Clock clock, Duration timeout, Consumer<CheckResult> report) {
        this.config = config;
        this.env = env;
        this.http = http;
        this.clock = clock;
        this.timeout = timeout;
        this.report = report;
    }

    void run() {
        orchestrator();
        runners();
        app();
    }

    /** The orchestrator answers {@code /health/live} at each URL it gives out. */
    private void orchestrator() {
        boolean fallback = config.transferMode == Config.TransferMode.FALLBACK;
        Map<URI, List<String>> urls = new LinkedHashMap<>();
        urls.computeIfAbsent(config.orchestratorBaseUrlContainer, u -> new ArrayList<>()).add("ORCHESTRATOR_BASE_URL_CONTAINER");
        urls.computeIfAbsent(config.orchestratorBaseUrlNext, u -> new ArrayList<>()).add("ORCHESTRATOR_BASE_URL_NEXT");
        urls.forEach((url, variables) -> {
            boolean forRunners = variables.contains("ORCHESTRATOR_BASE_URL_CONTAINER");
            String who = forRunners && variables.size() > 1 ? "runners and the app" : forRunners ? "runners" : "the app";
            String uses = forRunners ? (fallback ? "the runners' callbacks, and in fallback mode their downloads and uploads" : "the runners' callbacks")
                    : "the app's /artifacts requests";
            String where = shown(url) + " (" + named(variables) + ")";
            HttpAnswer a = get(URI.create(strip(url) + "/health/live"), true);
            if (a.failure() != null) {
                report.accept(fail("orchestrator for " + who, where + ": no answer (" + HealthChecks.summary(a.failure()) + ")",
                        "start the service, or set " + String.join(" / ", variables) + " to the URL by which the " + who
                                + " reach it (" + uses + "; in compose http://orchestrator:8787 for the runners, not localhost)"));
            } else if (a.status() == 200 && a.text().contains("\"status\"")) {
                report.accept(ok("orchestrator for " + who, where + " answers /health/live (" + uses + ")"));
            } else {
                report.accept(fail("orchestrator for " + who, where + ": /health/live answers HTTP " + a.status() + ", not this service",
                        "set " + String.join(" / ", variables) + " to this orchestrator's URL (" + uses + ")"));
            }
        });
    }

    /** Each runner answers its {@code /healthz}; its tools' versions are shown, and a missing required tool fails. */
    private void runners() {
        Map<URI, List<String>> runners = Observability.runnerUrls(config);
        if (runners.isEmpty()) {
            report.accept(fail("runners", "no runner is configured: jobs cannot be dispatched",
                    "set CONTAINER_BASE_URL (the burner; also used for the other engines unless they have their own) and CONTAINER_BASE_URL_DOWNLOADER"));
            return;
        }
        runners.forEach((url, engines) -> {
            String name = "runner " + String.join(",", engines);
            String variable = variableOf(engines.get(0));
            boolean own = env.get(variable) == null || env.get(variable).isBlank();
            String where = shown(url) + (own ? " (" + variable + " unset: this process's own runner)" : " (" + variable + ")");
            String fix = own ? "start the service (its own runners answer under /runners/…), or set " + variable + " to the runner's URL"
                    : variable + " must be the URL by which this orchestrator reaches the runner (compose: http://burner-ffmpeg:8080, "
                    + "http://media-downloader:8100); is the runner up? (its log, docker compose ps)";
            RunnersHealthCheck.Answer a = RunnersHealthCheck.healthz(http, url, timeout);
            if (a.failure() != null) {
                report.accept(fail(name, where + ": no answer (" + HealthChecks.summary(a.failure()) + ")",
                        fix + "; " + BucketAdvice.forNetwork(a.failure(), variable)));
            } else if (a.status() == 404 || a.status() == 405) {
                report.accept(ok(name, where + " answers, without /healthz (HTTP " + a.status() + "; an original container?): tool versions unknown"));
            } else if (a.status() / 100 != 2) {
                report.accept(fail(name, where + ": /healthz answers HTTP " + a.status(),
                        "a proxy in front of a runner that is down, or no runner at that URL: " + fix));
            } else {
                report.accept(tools(name, where, toolsOf(a.body())));
            }
        });
    }

    private static CheckResult tools(String name, String where, Map<String, String> tools) {
        if (tools.isEmpty()) {
            return ok(name, where + " answers /healthz (tool versions not known yet: it asks them at start)");
        }
        List<String> missing = tools.entrySet().stream()
                .filter(e -> REQUIRED_TOOLS.contains(e.getKey()) && e.getValue().equals("missing")).map(Map.Entry::getKey).toList();
        List<String> shown = tools.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList();
        if (!missing.isEmpty()) {
            return fail(name, where + " lacks " + String.join(", ", missing) + " (" + String.join(", ", shown) + ")",
                    "run the runner from its image (containers/Dockerfile), or install the tool or point FFMPEG_BIN / FFPROBE_BIN / YTDLP_BIN at it");
        }
        return ok(name, where + ": " + String.join(", ", shown));
    }

    /** The app answers at {@code NEXT_BASE_URL} (any answer but a gateway error: the orchestrator reaches it). */
    private void app() {
        if (config.localApp) {
            report.accept(ok("app", "local mode (no NEXT_BASE_URL): the service stands in for the app at " + shown(config.nextBaseUrl)));
            return;
        }
        String where = shown(config.nextBaseUrl) + " (NEXT_BASE_URL)";
        String fix = "NEXT_BASE_URL must be the URL by which the orchestrator reaches the app (its media and callbacks); "
                + "from a container not localhost (compose: http://host.docker.internal:3000)";
        HttpAnswer a = get(config.nextBaseUrl, false);
        if (a.failure() != null) {
            report.accept(fail("app", where + ": no answer (" + HealthChecks.summary(a.failure()) + ")",
                    fix + "; " + BucketAdvice.forNetwork(a.failure(), "NEXT_BASE_URL")));
        } else if (a.status() == 502 || a.status() == 503 || a.status() == 504) {
            report.accept(fail("app", where + ": HTTP " + a.status() + " (a proxy whose app does not answer)", fix + "; is the app running?"));
        } else {
            report.accept(ok("app", where + " answers (HTTP " + a.status() + ")"));
        }
    }

    /** The variable a runner's URL comes from (unset in the environment: the all-in-one default). */
    private String variableOf(String engine) {
        return switch (engine) {
            case "media-downloader" -> config.containerBaseUrlDownloader != null ? "CONTAINER_BASE_URL_DOWNLOADER" : "CONTAINER_BASE_URL";
            case "renderer-remotion" -> config.containerBaseUrlRemotion != null ? "CONTAINER_BASE_URL_REMOTION" : "CONTAINER_BASE_URL";
            default -> "CONTAINER_BASE_URL";
        };
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> toolsOf(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        try {
            if (Json.parseObject(body.getBytes(StandardCharsets.UTF_8)).get("tools") instanceof Map<?, ?> tools) {
                ((Map<String, Object>) tools).forEach((k, v) -> out.put(k, String.valueOf(v)));
            }
        } catch (RuntimeException e) {
            // a 2xx without our JSON: no versions to show
        }
        return out;
    }

    private static String named(List<String> variables) {
        return String.join(", ", variables);
    }

    private static String strip(URI url) {
        String s = url.toString();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private HttpAnswer get(URI url, boolean keepBody) {
        return HttpAnswer.get(http, url, timeout, clock, keepBody);
    }
}
