package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.common.Json;
import org.apache.camel.Exchange;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /health/live} and {@code GET /health/ready}: Camel's health checks of that kind (the
 * context, the routes and their consumers, and ours: bucket, runners, runner self-checks) as JSON,
 * {@code 200} when none is DOWN, else {@code 503}:
 * {@code {"status":"UP","checks":[{"name":"bucket","status":"UP","details":{...}}, ...]}}.
 */
public final class HealthChecks {
    public String liveness(Exchange exchange) {
        return respond(exchange, HealthCheckHelper.invokeLiveness(exchange.getContext(), "full"));
    }

    public String readiness(Exchange exchange) {
        return respond(exchange, HealthCheckHelper.invokeReadiness(exchange.getContext(), "full"));
    }

    private static String respond(Exchange exchange, Collection<HealthCheck.Result> results) {
        boolean down = false;
        List<Map<String, Object>> checks = new ArrayList<>();
        // one entry for all the routes and one for all their consumers, naming those that are not up
        Map<String, Map<String, Object>> groups = new LinkedHashMap<>();
        for (HealthCheck.Result r : results) {
            down |= r.getState() == HealthCheck.State.DOWN;
            String id = r.getCheck().getId();
            int colon = id.indexOf(':');
            String group = id.startsWith("route:") ? "routes" : id.startsWith("consumer:") ? "consumers" : null;
            if (group != null) {
                Map<String, Object> g = groups.computeIfAbsent(group, k -> {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("name", k);
                    c.put("status", "UP");
                    c.put("count", 0);
                    checks.add(c);
                    return c;
                });
                g.merge("count", 1, (a, b) -> (Integer) a + (Integer) b);
                if (r.getState() != HealthCheck.State.UP) {
                    if (r.getState() == HealthCheck.State.DOWN) {
                        g.put("status", "DOWN");
                    }
                    g.merge("notUp", id.substring(colon + 1) + " " + r.getState(), (a, b) -> a + ", " + b);
                }
                continue;
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", id);
            c.put("status", r.getState().name());
            r.getMessage().ifPresent(m -> c.put("message", m));
            r.getError().ifPresent(e -> c.put("error", summary(e)));
            Map<String, Object> details = new LinkedHashMap<>();
            // Camel's own bookkeeping (check.*, invocation.*, failure.* ...) has dotted keys
            r.getDetails().forEach((k, v) -> {
                if (!k.contains(".")) {
                    details.put(k, String.valueOf(v));
                }
            });
            if (!details.isEmpty()) {
                c.put("details", details);
            }
            checks.add(c);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", down ? "DOWN" : "UP");
        body.put("checks", checks);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, down ? 503 : 200);
        return Json.write(body);
    }

    /** An exception in a few words (never a URL with its query: presigned URLs carry signatures). */
    public static String summary(Throwable e) {
        String m = e.getMessage();
        if (m != null) {
            m = m.lines().findFirst().orElse("").replaceAll("\\?\\S*", "");
            m = m.length() > 200 ? m.substring(0, 200) + "…" : m;
        }
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
