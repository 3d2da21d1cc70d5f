package dev.mediaorchestrator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PromQL of the dashboard and the alert rules, for tests: the expressions (Grafana's variables
 * replaced by values Prometheus accepts), parsing them with promtool, and the series selectors they
 * use (metric name and label matchers), to look each up in a scrape.
 */
public final class PromQl {
    public static final Path DASHBOARD = Path.of("deploy/monitoring/grafana-dashboard.json");
    public static final Path RULES = Path.of("deploy/monitoring/alerts.rules.yml");
    /** Grafana's variables in the dashboard's queries, and what a query is sent with (the test's engines). */
    public static final Map<String, String> VARIABLES = Map.of("$__rate_interval", "5m", "$__interval", "1m", "$__range", "6h",
            "$window", "1h", "$engine", "burner-ffmpeg|media-downloader");
    /** Metrics Prometheus makes itself, not the service. */
    public static final Set<String> PROMETHEUS_OWN = Set.of("up");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private PromQl() {
    }

    /** A series selector: a metric name and its label matchers. */
    public record Selector(String name, List<LabelMatcher> matchers) {
        /** True when a series with this name and these labels is selected. */
        public boolean matches(String metric, Map<String, String> labels) {
            return name.equals(metric) && matchers.stream().allMatch(m -> m.matches(labels.getOrDefault(m.label, "")));
        }

        @Override
        public String toString() {
            return name + matchers;
        }
    }

    public record LabelMatcher(String label, String op, String value) {
        boolean matches(String actual) {
            return switch (op) {
                case "=" -> actual.equals(value);
                case "!=" -> !actual.equals(value);
                case "=~" -> actual.matches(value);
                case "!~" -> !actual.matches(value);
                default -> throw new AssertionError(op);
            };
        }

        @Override
        public String toString() {
            return label + op + "\"" + value + "\"";
        }
    }

    /** Every query of the dashboard's panels (rows included), its variables replaced, by panel title. */
    public static Map<String, String> dashboardExpressions() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        collect(JSON.readTree(DASHBOARD.toFile()).path("panels"), out);
        return out;
    }

    private static void collect(JsonNode panels, Map<String, String> out) {
        for (JsonNode p : panels) {
            collect(p.path("panels"), out);
            for (JsonNode t : p.path("targets")) {
                out.put(p.path("title").asText() + " / " + t.path("refId").asText(), substitute(t.path("expr").asText()));
            }
        }
    }

    /** The alert rules' expressions, by alert name. */
    public static Map<String, String> ruleExpressions() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        AlertRulesTest.alerts(YAML.readTree(RULES.toFile())).forEach((name, rule) -> out.put(name, rule.path("expr").asText()));
        return out;
    }

    /** Grafana's variables replaced by values (longest names first: $__rate_interval before $__range). */
    public static String substitute(String expr) {
        String s = expr;
        for (String v : VARIABLES.keySet().stream().sorted((a, b) -> b.length() - a.length()).toList()) {
            s = s.replace("${" + v.substring(1) + "}", VARIABLES.get(v)).replace(v, VARIABLES.get(v));
        }
        return s;
    }

    /**
     * Parses each expression with promtool, as Prometheus does: they become recording rules of a
     * temporary rule file that {@code promtool check rules} reads. Returns promtool's result.
     */
    public static Promtool.Result check(Map<String, String> expressions, Path dir) throws IOException, InterruptedException {
        ObjectNode file = YAML.createObjectNode();
        ObjectNode group = file.putArray("groups").addObject();
        group.put("name", "expressions");
        ArrayNode rules = group.putArray("rules");
        int i = 0;
        for (String expr : expressions.values()) {
            rules.addObject().put("record", "check:expression_" + (i++)).put("expr", expr);
        }
        Path f = dir.resolve("expressions.rules.yml");
        YAML.writeValue(f.toFile(), file);
        try {
            return Promtool.run(dir, "check", "rules", f.getFileName().toString());
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private static final Pattern CLAUSE = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
    private static final Pattern BRACED = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*\\{([^}]*)\\}");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern NUMBER = Pattern.compile("(?<![a-zA-Z_:])\\d+(\\.\\d+)?([eE][+-]?\\d+)?");
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN");

    /** The series selectors of an expression (each metric it reads, with its label matchers). */
    public static List<Selector> selectors(String expr) {
        List<Selector> out = new ArrayList<>();
        String s = RANGE.matcher(CLAUSE.matcher(expr).replaceAll(" ")).replaceAll(" ");
        Matcher b = BRACED.matcher(s);
        StringBuilder rest = new StringBuilder();
        while (b.find()) {
            List<LabelMatcher> matchers = new ArrayList<>();
            Matcher m = MATCHER.matcher(b.group(2));
            String name = b.group(1);
            while (m.find()) {
                if (m.group(1).equals("__name__") && m.group(2).equals("=")) {
                    name = m.group(3);
                } else {
                    matchers.add(new LabelMatcher(m.group(1), m.group(2), m.group(3).replace("\\\\", "\\")));
                }
            }
            if (name == null) {
                throw new AssertionError("a selector without a metric name in: " + expr);
            }
            out.add(new Selector(name, matchers));
            b.appendReplacement(rest, " ");
        }
        b.appendTail(rest);
        String bare = NUMBER.matcher(STRING.matcher(rest).replaceAll(" ")).replaceAll(" ");
        Matcher id = IDENT.matcher(bare);
        while (id.find()) {
            String word = id.group();
            boolean call = bare.substring(id.end()).matches("(?s)\\s*\\(.*");
            if (!call && !KEYWORDS.contains(word)) {
                out.add(new Selector(word, List.of()));
            }
        }
        return out;
    }
}
