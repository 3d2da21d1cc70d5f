package dev.mediaorchestrator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.nio.file.StandardCopyOption;

/**
 * The alert rules an operator loads as they are ({@code deploy/monitoring/alerts.rules.yml}): valid for
 * Prometheus ({@code promtool check rules}), with unit tests that pass ({@code promtool test rules}),
 * where every alert has series that fire it and series that must not, and where those tests would
 * notice a rule that always fires or never does. The sample scrape configuration loads them.
 */
@IntegrationTest
class AlertRulesTest {
    static final Path MONITORING = Path.of("deploy/monitoring");
    static final String RULES = "alerts.rules.yml";
    static final List<String> TEST_FILES = List.of("alerts.test.yml", "alerts-bucket.test.yml");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The seed's list (failure rate, duration, queue, waiting jobs, callbacks, runners, bucket traffic), one alert or more each. */
    static final Set<String> SEED_ALERTS = Set.of("MediaOrchJobFailureRateHigh", "MediaOrchJobDurationP95High", "MediaOrchJobsQueueing",
            "MediaOrchJobWaitingTooLong", "MediaOrchAppCallbacksFailing", "MediaOrchCallbackOutboxStale", "MediaOrchCallbackOutboxBacklog",
            "MediaOrchRunnerUnreachable", "MediaOrchRunnerJobsLost", "MediaOrchTargetDown", "MediaOrchBucketIngressHigh", "MediaOrchBucketEgressHigh");

    /** alert name → its rule (the YAML object), in file order. */
    static Map<String, JsonNode> alerts(JsonNode rules) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    out.put(rule.path("alert").asText(), rule);
                }
            }
        }
        return out;
    }

    static JsonNode read(Path file) throws IOException {
        return YAML.readTree(file.toFile());
    }

    @Test
    void theRuleFileAndTheScrapeConfigurationAreValid() throws Exception {
        String out = Promtool.check(MONITORING, "check", "rules", RULES);
        assertTrue(out.contains("SUCCESS"), out);
        // the sample prometheus.yml loads the rule file by its relative name
        Promtool.check(MONITORING, "check", "config", "prometheus.yml");
        Map<String, JsonNode> alerts = alerts(read(MONITORING.resolve(RULES)));
        assertTrue(alerts.keySet().containsAll(SEED_ALERTS), "missing: " + SEED_ALERTS.stream().filter(a -> !alerts.containsKey(a)).toList());
        alerts.forEach((name, rule) -> {
            assertTrue(Set.of("page", "warn", "info").contains(rule.path("labels").path("severity").asText()), name + ": a severity");
            assertFalse(rule.path("annotations").path("summary").asText().isBlank(), name + ": a summary");
        });
    }

    @Test
    void theRulesUnitTestsPass() throws Exception {
        List<String> args = new ArrayList<>(List.of("test", "rules"));
        args.addAll(TEST_FILES);
        String out = Promtool.check(MONITORING, args.toArray(String[]::new));
        assertFalse(out.contains("FAILED"), out);
    }

    @Test
    void everyAlertHasSeriesThatFireItAndSeriesThatMustNot() throws Exception {
        Map<String, JsonNode> alerts = alerts(read(MONITORING.resolve(RULES)));
        Set<String> fired = new LinkedHashSet<>();
        Set<String> silent = new LinkedHashSet<>();
        for (String file : TEST_FILES) {
            for (JsonNode test : read(MONITORING.resolve(file)).path("tests")) {
                for (JsonNode c : test.path("alert_rule_test")) {
                    String name = c.path("alertname").asText();
                    assertTrue(alerts.containsKey(name), file + ": a test of an alert that does not exist: " + name);
                    (c.path("exp_alerts").isEmpty() ? silent : fired).add(name);
                }
            }
        }
        for (String name : alerts.keySet()) {
            assertTrue(fired.contains(name), name + ": no test with series that fire it");
            assertTrue(silent.contains(name), name + ": no test with series that must not fire it");
        }
    }

    /**
     * Each alert's tests notice a broken rule: with its expression replaced by one that always fires,
     * or by one that never does, the tests of that alert fail.
     */
    @Test
    void eachAlertsTestsFailWhenItsRuleAlwaysOrNeverFires(@TempDir Path dir) throws Exception {
        JsonNode rules = read(MONITORING.resolve(RULES));
        for (String name : alerts(rules).keySet()) {
            ObjectNode tests = testsOf(name);
            YAML.writeValue(dir.resolve("alerts.test.yml").toFile(), tests);
            Files.copy(MONITORING.resolve(RULES), dir.resolve(RULES), StandardCopyOption.REPLACE_EXISTING);
            assertTrue(Promtool.run(dir, "test", "rules", "alerts.test.yml").ok(), name + ": its tests pass alone");
            for (String broken : List.of("vector(1)", "vector(0) > 1")) {
                JsonNode mutated = rules.deepCopy();
                ((ObjectNode) alerts(mutated).get(name)).put("expr", broken);
                YAML.writeValue(dir.resolve(RULES).toFile(), mutated);
                Promtool.Result r = Promtool.run(dir, "test", "rules", "alerts.test.yml");
                assertFalse(r.ok(), name + " with expr '" + broken + "': its tests still pass:\n" + r.output());
                assertTrue(r.output().contains("alertname: " + name), r.output());
            }
        }
    }

    /** A test file with only the test groups that evaluate {@code alert} (and only those cases). */
    private static ObjectNode testsOf(String alert) throws IOException {
        ObjectNode out = null;
        ArrayNode kept = YAML.createArrayNode();
        for (String file : TEST_FILES) {
            JsonNode all = read(MONITORING.resolve(file));
            if (out == null) {
                out = (ObjectNode) all.deepCopy();
            }
            for (JsonNode test : all.path("tests")) {
                ArrayNode cases = YAML.createArrayNode();
                test.path("alert_rule_test").forEach(c -> {
                    if (c.path("alertname").asText().equals(alert)) {
                        cases.add(c);
                    }
                });
                if (!cases.isEmpty()) {
                    ObjectNode t = test.deepCopy();
                    t.set("alert_rule_test", cases);
                    // the bucket tests' day of samples is evaluated every 15 min (their file's interval)
                    if (!file.equals(TEST_FILES.get(0))) {
                        out.put("evaluation_interval", all.path("evaluation_interval").asText());
                    }
                    kept.add(t);
                }
            }
        }
        assertEquals(false, kept.isEmpty(), alert + ": no tests");
        out.set("tests", kept);
        return out;
    }
}
