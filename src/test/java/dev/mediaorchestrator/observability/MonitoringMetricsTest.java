package dev.mediaorchestrator.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.deploy.PromQl;
import dev.mediaorchestrator.deploy.Promtool;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.VideoSite;
import dev.mediaorchestrator.support.Wait;
import dev.mediaorchestrator.testutil.TestMedia;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.regex.Pattern;

/**
 * The dashboard and the alert rules read metrics the service really exports: the all-in-one service
 * (orchestrator, burner and downloader, as an operator scrapes them) runs a burn and a download, the
 * app fetches the burn's artifact, and then every series selector of every dashboard query and
 * every alert rule (metric name and label matchers, Grafana's variables replaced) selects at least
 * one series of {@code /metrics}; every expression parses (promtool). Only {@code up} is left out:
 * Prometheus makes it.
 */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MonitoringMetricsTest {
    private static final byte[] VTT = "WEBVTT\n\n00:00.000 --> 00:01.500\nDashboard\n".getBytes(StandardCharsets.UTF_8);

    private TestMedia.TempDir dir;
    private AppStandIn next;
    private VideoSite site;
    private RunningApp app;
    private PrometheusText metrics;

    @BeforeAll
    void burnAndDownload() throws Exception {
        dir = TestMedia.tempDir("monitoring-");
        byte[] clip = Files.readAllBytes(TestMedia.generateClip(dir.resolve("clip.mp4"), 2, true));
        next = new AppStandIn(new Hmac(RunningApp.SECRET)).media("mon-burn", "source", clip).media("mon-burn", "subtitles", VTT);
        site = new VideoSite(clip, "A monitored clip");
        app = RunningApp.start(Map.of("ROLES", "orchestrator,burner,downloader", "NEXT_BASE_URL", next.base().toString(),
                "RUNNER_WORK_DIR", dir.resolve("work").toString(), "BURNER_X264_PRESET", "ultrafast", "COMPLETION_POLL_INTERVAL_MS", "300"));
        String burn = submit(Map.of("mediaId", "mon-burn", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
        String download = submit(Map.of("mediaId", "mon-dl", "engine", "media-downloader",
                "options", Map.of("url", site.pageUrl()), "ts", System.currentTimeMillis()));
        for (String job : List.of(burn, download)) {
            Wait.until("the app's callback for " + job, Duration.ofSeconds(120), () -> !next.acceptedFor(job).isEmpty());
            assertEquals("completed", next.acceptedFor(job).get(0).get("status"), job + ": " + next.acceptedFor(job));
            app.awaitDeliveryRecorded(job);
        }
        // the app plays the burn's artifact (bytes out of the bucket)
        assertEquals(200, app.get("/artifacts/" + burn).statusCode());
        Wait.until("both jobs' runner summaries (the runners' counters)", Duration.ofSeconds(30), () -> {
            try {
                PrometheusText m = new PrometheusText(app.get("/metrics").body());
                return m.find("mediaorch_runner_jobs_total", "status", "completed").stream().mapToDouble(PrometheusText.Sample::value).sum() >= 2;
            } catch (Exception e) {
                return false;
            }
        });
        HttpResponse<String> scrape = app.get("/metrics");
        assertEquals(200, scrape.statusCode());
        metrics = new PrometheusText(scrape.body());
    }

    private String submit(Map<String, Object> body) throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body);
        assertEquals(202, r.statusCode(), r.body());
        return (String) json(r).get("jobId");
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[]{app, site, next, dir}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the others still close
            }
        }
    }

    /** Each selector of each expression: the ones that select nothing in the scrape, with where they are used. */
    private List<String> missing(Map<String, String> expressions) {
        List<String> missing = new ArrayList<>();
        expressions.forEach((where, expr) -> {
            List<PromQl.Selector> selectors = PromQl.selectors(expr);
            assertTrue(!selectors.isEmpty(), where + ": no selector found in " + expr);
            for (PromQl.Selector s : selectors) {
                if (PromQl.PROMETHEUS_OWN.contains(s.name())) {
                    continue;
                }
                if (metrics.samples.stream().noneMatch(x -> s.matches(x.name(), x.labels()))) {
                    missing.add(where + ": " + s);
                }
            }
        });
        return missing;
    }

    @Test
    void everyDashboardQuerySelectsSeriesTheServiceExports() throws Exception {
        Map<String, String> exprs = PromQl.dashboardExpressions();
        assertEquals(List.of(), missing(exprs), "dashboard selectors with no series in /metrics");
        // the engine variable's values come from a metric the service exports, with that label
        JsonNode d = new ObjectMapper().readTree(PromQl.DASHBOARD.toFile());
        for (JsonNode v : d.path("templating").path("list")) {
            String def = v.path("definition").asText();
            var m = Pattern.compile("label_values\\((\\w+),\\s*(\\w+)\\)").matcher(def);
            if (m.matches()) {
                String metric = m.group(1);
                String label = m.group(2);
                assertTrue(metrics.samples.stream().anyMatch(x -> x.name().equals(metric) && x.labels().containsKey(label)), def);
            }
        }
    }

    @Test
    void everyAlertRuleSelectsSeriesTheServiceExports() throws Exception {
        assertEquals(List.of(), missing(PromQl.ruleExpressions()), "alert rule selectors with no series in /metrics");
    }

    @Test
    void everyExpressionParses(@TempDir Path tmp) throws Exception {
        Map<String, String> all = new LinkedHashMap<>(PromQl.dashboardExpressions());
        all.putAll(PromQl.ruleExpressions());
        Promtool.Result r = PromQl.check(all, tmp);
        assertTrue(r.ok(), r.output());
    }

    /** A selector that names a metric the service does not export is noticed (the check is not vacuous). */
    @Test
    void aMisspeltMetricIsNoticed() {
        assertEquals(1, missing(Map.of("typo", "sum(rate(mediaorch_jobs_submited_total[5m]))")).size());
        assertEquals(1, missing(Map.of("label", "sum(mediaorch_callback_failures_total{target=\"nobody\"})")).size());
    }
}
