package dev.mediaorchestrator;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every setting and its default are defined once, in {@link Settings}: README's settings table
 * names exactly those settings with those defaults, logback.xml's defaults are theirs, and the
 * service's configuration readers name no variable themselves.
 */
class SettingsTest {
    private static final Pattern NAME = Pattern.compile("`([A-Z][A-Z0-9_]*)`");
    /** The classes that read the service's environment. */
    private static final List<String> READERS = List.of("Config.java", "TracingConfig.java", "runner/RunnerConfig.java");

    /** README's settings table ("## Configuration"): each variable with its default as shown. */
    private static Map<String, String> readmeTable() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Configuration\n");
        int start = readme.indexOf("| variable | default | meaning |", section);
        assertTrue(section >= 0 && start > section, "README has the settings table under ## Configuration");
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : readme.substring(start).split("\n")) {
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.split("\\|");
            if (cells.length < 3 || cells[1].trim().equals("variable") || cells[1].startsWith("---")) {
                continue;
            }
            List<String> names = new ArrayList<>();
            Matcher m = NAME.matcher(cells[1]);
            while (m.find()) {
                names.add(m.group(1));
            }
            String shown = cells[2].trim();
            String[] each = shown.split(", ");
            for (int i = 0; i < names.size(); i++) {
                String previous = out.put(names.get(i), names.size() > 1 && each.length == names.size() ? each[i] : shown);
                assertEquals(null, previous, names.get(i) + " has two rows");
            }
        }
        return out;
    }

    private static String plain(String shown) {
        return shown.replace("`", "").trim();
    }

    @Test
    void readmesTableHasEverySettingWithItsDefaultAndNoOther() throws Exception {
        Map<String, String> table = readmeTable();
        Map<String, String> expected = new LinkedHashMap<>();
        for (Setting s : Settings.ALL) {
            expected.put(s.name(), plain(s.shown()));
        }
        Map<String, String> shown = new LinkedHashMap<>();
        table.forEach((name, d) -> shown.put(name, plain(d)));
        List<String> missing = new ArrayList<>(expected.keySet());
        missing.removeAll(shown.keySet());
        List<String> unknown = new ArrayList<>(shown.keySet());
        unknown.removeAll(expected.keySet());
        assertEquals(List.of(), missing, "settings without a row in README's table");
        assertEquals(List.of(), unknown, "rows of README's table that are no setting");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertEquals(e.getValue(), shown.get(e.getKey()), e.getKey() + ": README's default");
        }
    }

    @Test
    void logbacksDefaultsAreTheSettings() throws Exception {
        String logback = Files.readString(Path.of("src/main/resources/logback.xml"));
        for (Setting s : List.of(Settings.LOG_LEVEL, Settings.LOG_FORMAT)) {
            assertTrue(logback.contains("${" + s.name() + ":-" + s.value() + "}"), s.name() + " defaults to " + s.value() + " in logback.xml");
        }
    }

    @Test
    void theReadersNameNoVariableThemselves() throws Exception {
        Pattern literal = Pattern.compile("(?:env\\.get|Env\\.[a-zA-Z]+\\(env,)\\s*\\(?\"([A-Z][A-Z0-9_]*)\"");
        List<String> found = new ArrayList<>();
        for (String reader : READERS) {
            Matcher m = literal.matcher(Files.readString(Path.of("src/main/java/dev/mediaorchestrator", reader)));
            while (m.find()) {
                found.add(reader + ": " + m.group(1));
            }
        }
        assertEquals(List.of(), found, "variables read by name instead of through Settings");
    }

    @Test
    void everySettingIsRead() throws Exception {
        StringBuilder code = new StringBuilder();
        for (String reader : READERS) {
            code.append(Files.readString(Path.of("src/main/java/dev/mediaorchestrator", reader)));
        }
        List<String> unread = new ArrayList<>();
        for (Setting s : Settings.ALL) {
            // LANG is the JVM's (App.checkEncoding reads the encoding it gives), LOG_LEVEL logback's
            if (!code.toString().contains("Settings." + s.name()) && s != Settings.LANG && s != Settings.LOG_LEVEL) {
                unread.add(s.name());
            }
        }
        assertEquals(List.of(), unread, "settings no reader reads");
    }
}
