package dev.mediaorchestrator.observability;

import org.apache.camel.health.HealthCheckResultBuilder;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Readiness of the orchestrator: each configured runner answers {@code GET {base}/healthz} with a
 * 2xx, or with 404: the original containers have no {@code /healthz} (the original
 * {@code renderer-remotion} serves {@code POST /render} alone), and a 404 is an answer from a runner
 * that is there (CONTRACT, "A runner without a status endpoint is not lost"). No answer, or any other
 * status, is down. {@code runners} maps each distinct runner base URL to the engines it serves.
 */
public final class RunnersHealthCheck extends ReadinessCheck {
    private final Map<URI, List<String>> runners;
    private final Duration timeout;
    private final HttpClient http;

    public RunnersHealthCheck(Map<URI, List<String>> runners, Duration timeout) {
        super("runners");
        this.runners = runners;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (runners.isEmpty()) {
            builder.up().message("no runner configured");
            return;
        }
        StringBuilder down = new StringBuilder();
        runners.forEach((base, engines) -> {
            String state = probe(base);
            builder.detail(String.join(",", engines), state);
            if (!state.startsWith("UP")) {
                down.append(down.length() == 0 ? "" : "; ").append(String.join(",", engines)).append(": ").append(state);
            }
        });
        if (down.length() == 0) {
            builder.up();
        } else {
            builder.down().message(down.toString());
        }
    }

    private String probe(URI base) {
        Answer a = healthz(http, base, timeout);
        if (a.failure() != null) {
            return "DOWN: " + HealthChecks.summary(a.failure());
        }
        if (a.status() == 404) {
            return "UP: answers, without /healthz (an original container?)";
        }
        return (a.status() / 100 == 2 ? "UP " : "DOWN: answered ") + a.status();
    }

    /**
     * {@code GET {base}/healthz} of one runner: its status and body (our runners list their tools'
     * versions there), or why there was no answer. Also what {@code check} asks each runner.
     */
    public static Answer healthz(HttpClient http, URI base, Duration timeout) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), r.body(), null);
        } catch (IOException | IllegalArgumentException e) {
            return new Answer(0, "", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, "", e);
        }
    }

    /** A runner's answer to {@code /healthz}; {@code failure} is set (and status 0) when there was none. */
    public record Answer(int status, String body, Exception failure) {
    }
}
