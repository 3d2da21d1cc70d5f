package dev.mediaorchestrator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.HashSet;

/**
 * The Grafana dashboard ({@code deploy/monitoring/grafana-dashboard.json}) imports as it is: a
 * classic dashboard model without an instance's id, every panel on the {@code ${datasource}}
 * variable (a Prometheus data source chosen at import or provisioning), the seed's figures per
 * engine, and every query valid PromQL once Grafana's variables are replaced — parsed by promtool.
 * {@code MonitoringMetricsTest} checks that the metrics the queries read exist.
 */
@IntegrationTest
class DashboardTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    @Test
    void importsAsItIs() throws Exception {
        JsonNode d = JSON.readTree(PromQl.DASHBOARD.toFile());
        assertTrue(d.path("id").isNull() || d.path("id").isMissingNode(), "no id of a Grafana instance");
        assertEquals("media-orchestrator", d.path("uid").asText());
        assertTrue(d.path("schemaVersion").asInt() >= 39, "a current schema (Grafana 11/12): " + d.path("schemaVersion"));
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        d.path("templating").path("list").forEach(v -> variables.put(v.path("name").asText(), v));
        assertEquals("datasource", variables.get("datasource").path("type").asText());
        assertEquals("prometheus", variables.get("datasource").path("query").asText());
        assertTrue(variables.get("engine").path("includeAll").asBoolean() && variables.get("engine").path("multi").asBoolean());
        assertEquals(".*", variables.get("engine").path("allValue").asText());
        Set<Integer> ids = new HashSet<>();
        for (JsonNode p : panels(d)) {
            String title = p.path("title").asText();
            assertTrue(ids.add(p.path("id").asInt()), title + ": a unique id");
            JsonNode pos = p.path("gridPos");
            assertTrue(pos.path("w").asInt() > 0 && pos.path("x").asInt() + pos.path("w").asInt() <= 24, title + ": gridPos");
            if (p.path("type").asText().equals("row")) {
                continue;
            }
            assertEquals("${datasource}", p.path("datasource").path("uid").asText(), title + ": the data source variable");
            assertFalse(p.path("targets").isEmpty(), title + ": queries");
            for (JsonNode t : p.path("targets")) {
                assertEquals("${datasource}", t.path("datasource").path("uid").asText(), title + " " + t.path("refId"));
                assertFalse(t.path("expr").asText().isBlank(), title + " " + t.path("refId"));
            }
        }
        // nothing else refers to a data source of some Grafana instance
        assertFalse(JSON.writeValueAsString(d).matches("(?s).*\"uid\"\\s*:\\s*\"(?!\\$\\{datasource\\}|-- Grafana --|media-orchestrator)[^\"]*\".*"),
                "a data source uid other than ${datasource}");
    }

    /** The seed's figures: job duration P50/P95, failure rate, queue depth, runner concurrency, bucket traffic, callback delivery; per engine. */
    @Test
    void showsTheSeedsFiguresPerEngine() throws Exception {
        Map<String, String> exprs = PromQl.dashboardExpressions();
        String all = String.join("\n", exprs.values());
        for (String needed : List.of("histogram_quantile(0.50, sum by (engine, le) (rate(mediaorch_job_duration_seconds_bucket",
                "histogram_quantile(0.95, sum by (engine, le) (rate(mediaorch_job_duration_seconds_bucket",
                "mediaorch_job_duration_seconds_count{status=\"failed\"", "mediaorch_jobs_queued{", "mediaorch_runner_active_jobs{",
                "mediaorch_mirrored_bytes_total", "mediaorch_runner_downloaded_bytes_total", "mediaorch_callback_attempts_total{target=\"app\"",
                "mediaorch_callbacks_pending")) {
            assertTrue(all.contains(needed), "no query with " + needed);
        }
        String engines = PromQl.VARIABLES.get("$engine");
        exprs.forEach((where, expr) -> {
            boolean perEngine = expr.contains("engine=~\"" + engines + "\"");
            boolean whole = !expr.contains("engine") || expr.contains("by (engine");
            assertTrue(perEngine == expr.contains("by (engine") || !perEngine && whole, where + ": per engine or a whole-service figure: " + expr);
        });
    }

    @Test
    void everyQueryParses(@TempDir Path dir) throws Exception {
        Map<String, String> exprs = PromQl.dashboardExpressions();
        assertTrue(exprs.size() >= 20, "queries: " + exprs.size());
        exprs.forEach((where, expr) -> assertFalse(expr.contains("$"), where + ": a variable left: " + expr));
        Promtool.Result r = PromQl.check(exprs, dir);
        assertTrue(r.ok(), "promtool could not parse the dashboard's queries:\n" + r.output());
        assertTrue(r.output().contains("SUCCESS: " + exprs.size() + " rules found"), r.output());
        // the check parses: one bad query among them fails it
        Map<String, String> broken = new LinkedHashMap<>(exprs);
        broken.put("broken", exprs.values().iterator().next().replaceFirst("\\)$", ""));
        assertFalse(PromQl.check(broken, dir).ok(), "promtool accepted an unbalanced query");
        Map<String, String> unknown = new LinkedHashMap<>(exprs);
        unknown.put("unknown", "sum by (engine) (rate(mediaorch_jobs_submitted_total[$window]))");
        assertFalse(PromQl.check(unknown, dir).ok(), "promtool accepted a query with a Grafana variable left in it");
    }

    @Test
    void selectorsAreFoundInTheQueries() throws Exception {
        var s = PromQl.selectors(PromQl.substitute(
                "histogram_quantile(0.95, sum by (engine, le) (rate(mediaorch_job_duration_seconds_bucket{status=\"completed\", engine=~\"$engine\"}[$window])))"
                        + " > 100e9 or (sum(increase(mediaorch_mirrored_bytes_total[1d])) or vector(0)) + count by (job) (up == 0)"));
        assertEquals(3, s.size(), s.toString());
        assertEquals("mediaorch_job_duration_seconds_bucket", s.get(0).name());
        assertTrue(s.get(0).matches("mediaorch_job_duration_seconds_bucket", Map.of("status", "completed", "engine", "media-downloader")));
        assertFalse(s.get(0).matches("mediaorch_job_duration_seconds_bucket", Map.of("status", "failed", "engine", "media-downloader")));
        assertFalse(s.get(0).matches("mediaorch_job_duration_seconds_bucket", Map.of("status", "completed", "engine", "renderer-remotion")));
        assertEquals(List.of("mediaorch_mirrored_bytes_total", "up"), List.of(s.get(1).name(), s.get(2).name()));
        assertNotNull(PromQl.ruleExpressions().get("MediaOrchTargetDown"));
    }
}
