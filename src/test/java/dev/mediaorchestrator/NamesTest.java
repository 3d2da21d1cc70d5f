package dev.mediaorchestrator;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The names the route files and the beans share are written once, in {@link Names}: every
 * {@code direct:} and {@code seda:} endpoint, every {@code ${exchangeProperty.X}} and every
 * {@code setProperty} name of a route file is one of its constants; every constant is used (by a
 * route file, or by name in the main code); and the main code does not spell a shared property
 * name as a bare string.
 */
class NamesTest {
    private static final Path ROUTES = Path.of("src/main/resources/routes");
    private static final Path MAIN = Path.of("src/main/java/dev/mediaorchestrator");
    private static final Pattern ENDPOINT = Pattern.compile("\\b(?:direct|seda):[A-Za-z0-9_-]+");
    private static final Pattern PROPERTY = Pattern.compile("\\$\\{exchangeProperty\\.([A-Za-z0-9_]+)");
    private static final Pattern SET_PROPERTY = Pattern.compile("- setProperty:\\s*\\n\\s*name:\\s*\"?([A-Za-z0-9_]+)");
    /** Constant name → value. */
    private static Map<String, String> constants() throws IllegalAccessException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Field f : Names.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                out.put(f.getName(), (String) f.get(null));
            }
        }
        return out;
    }

    private static String routeFiles() throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(ROUTES)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".camel.yaml")).sorted().toList()) {
                all.append(Files.readString(p)).append('\n');
            }
        }
        return all.toString();
    }

    private static List<Path> mainSources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    private static Set<String> found(Pattern pattern, String text, int group) {
        Set<String> out = new TreeSet<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            out.add(m.group(group));
        }
        return out;
    }

    @Test
    void everyEndpointAndPropertyOfTheRouteFilesIsAConstant() throws Exception {
        String yaml = routeFiles();
        Set<String> values = new TreeSet<>(constants().values());
        Set<String> used = new TreeSet<>(found(ENDPOINT, yaml, 0));
        used.addAll(found(PROPERTY, yaml, 1));
        used.addAll(found(SET_PROPERTY, yaml, 1));
        assertFalse(used.isEmpty());
        used.removeAll(values);
        assertEquals(Set.of(), used, "names in the route files that are not constants of Names");
    }

    @Test
    void everyConstantIsUsed() throws Exception {
        String yaml = routeFiles();
        StringBuilder java = new StringBuilder();
        for (Path p : mainSources()) {
            if (!p.getFileName().toString().equals("Names.java")) {
                java.append(Files.readString(p));
            }
        }
        List<String> unused = new ArrayList<>();
        for (Map.Entry<String, String> c : constants().entrySet()) {
            boolean inRoutes = c.getValue().contains(":") ? yaml.contains(c.getValue())
                    : yaml.contains("exchangeProperty." + c.getValue()) || found(SET_PROPERTY, yaml, 1).contains(c.getValue());
            if (!inRoutes && !java.toString().contains("Names." + c.getKey())) {
                unused.add(c.getKey());
            }
        }
        assertEquals(List.of(), unused, "constants of Names nothing uses");
    }

    @Test
    void theMainCodeUsesTheConstantsNotTheirText() throws Exception {
        Set<String> properties = new TreeSet<>();
        for (String v : constants().values()) {
            if (!v.contains(":")) {
                properties.add(v);
            }
        }
        Pattern bare = Pattern.compile("(?:get|set|remove)Property\\(\"(" + String.join("|", properties) + ")\"");
        List<String> spelled = new ArrayList<>();
        for (Path p : mainSources()) {
            String relative = MAIN.relativize(p).toString().replace('\\', '/');
            Matcher m = bare.matcher(Files.readString(p));
            while (m.find()) {
                spelled.add(relative + ": \"" + m.group(1) + "\"");
            }
        }
        assertEquals(List.of(), spelled, "shared property names spelled as strings (use the constants of Names)");
    }
}
