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
 * 2xx. {@code runners} maps each distinct runner base URL to the engines it serves.
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
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return (r.statusCode() / 100 == 2 ? "UP " : "DOWN: answered ") + r.statusCode();
        } catch (IOException | IllegalArgumentException e) {
            return "DOWN: " + HealthChecks.summary(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "DOWN: interrupted";
        }
    }
}
