package dev.mediaorchestrator.downloader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The optional downloader {@code engineOptions} beyond the original's (CONTRACT.md, Downloader
 * rules): {@code cookies} (Netscape cookies.txt text, a secret), {@code subtitles}
 * {@code {languages, auto}} and {@code thumbnail}. Parsed the same way by the orchestrator (a 400 at
 * {@code POST /jobs}) and by the runner. Messages name the field and never echo a cookie.
 */
public final class DownloadExtras {
    public static final int MAX_COOKIES_BYTES = 64 * 1024;
    public static final int MAX_LANGUAGES = 20;
    /** A language tag as yt-dlp names subtitles ({@code en}, {@code zh-Hans}, {@code pt-BR}); also safe in a key and a file name. */
    public static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}");
    private static final Pattern EXPIRY = Pattern.compile("-?[0-9]{0,19}");

    /** Subtitles asked for: these languages, and automatic captions too when {@code auto}. */
    public record Subtitles(List<String> languages, boolean auto) {
    }

    private DownloadExtras() {
    }

    /** The cookies text, or null when none was given. */
    public static String cookies(Map<String, ?> options) {
        Object v = options.get("cookies");
        if (v == null || v instanceof String s && s.isBlank()) {
            return null;
        }
        if (!(v instanceof String text)) {
            throw new IllegalArgumentException("cookies must be the text of a Netscape cookies.txt file");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_COOKIES_BYTES) {
            throw new IllegalArgumentException("cookies is too large (at most " + MAX_COOKIES_BYTES + " bytes)");
        }
        int cookies = 0;
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() || line.startsWith("#") && !line.startsWith("#HttpOnly_")) {
                continue;
            }
            String where = "cookies line " + (i + 1);
            String[] f = line.split("\t", -1);
            if (f.length != 7) {
                throw new IllegalArgumentException(where + " is not a Netscape cookie line (7 tab-separated fields)");
            }
            if (f[0].isBlank() || !isFlag(f[1]) || !isFlag(f[3]) || !EXPIRY.matcher(f[4]).matches()) {
                throw new IllegalArgumentException(where + " is not a Netscape cookie line (domain, TRUE|FALSE, path, TRUE|FALSE, expiry, name, value)");
            }
            if (line.chars().anyMatch(c -> c != '\t' && Character.isISOControl(c))) {
                throw new IllegalArgumentException(where + " holds a control character");
            }
            cookies++;
        }
        if (cookies == 0) {
            throw new IllegalArgumentException("cookies holds no cookie line");
        }
        return text;
    }

    private static boolean isFlag(String s) {
        return s.equals("TRUE") || s.equals("FALSE");
    }

    /** The subtitles asked for, or null when none. */
    public static Subtitles subtitles(Map<String, ?> options) {
        Object v = options.get("subtitles");
        if (v == null) {
            return null;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("subtitles must be an object {languages, auto}");
        }
        if (!(m.get("languages") instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException("subtitles.languages must be a non-empty list of language codes");
        }
        if (list.size() > MAX_LANGUAGES) {
            throw new IllegalArgumentException("subtitles.languages has more than " + MAX_LANGUAGES + " entries");
        }
        Set<String> langs = new LinkedHashSet<>();
        for (Object o : list) {
            if (!(o instanceof String s) || !LANGUAGE.matcher(s).matches()) {
                throw new IllegalArgumentException("subtitles.languages must hold language codes such as en or zh-Hans");
            }
            langs.add(s);
        }
        Object auto = m.get("auto");
        if (auto != null && !(auto instanceof Boolean)) {
            throw new IllegalArgumentException("subtitles.auto must be true or false");
        }
        return new Subtitles(List.copyOf(new ArrayList<>(langs)), Boolean.TRUE.equals(auto));
    }

    /** Whether a thumbnail was asked for. */
    public static boolean thumbnail(Map<String, ?> options) {
        Object v = options.get("thumbnail");
        if (v != null && !(v instanceof Boolean)) {
            throw new IllegalArgumentException("thumbnail must be true or false");
        }
        return Boolean.TRUE.equals(v);
    }

    /** Validates all three (for {@code POST /jobs}). */
    public static void validate(Map<String, ?> options) {
        cookies(options);
        subtitles(options);
        thumbnail(options);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * Takes the cookies out of yt-dlp's info JSON before it becomes {@code metadata.json}: yt-dlp
     * records them there ({@code cookies} fields, {@code Cookie} in {@code http_headers}); any
     * other string holding a cookie value is replaced with {@code [redacted]}. The file is
     * rewritten in place.
     */
    public static void scrubInfoJson(Path file, Collection<String> cookieValues) throws IOException {
        com.fasterxml.jackson.databind.JsonNode root = JSON.readTree(file.toFile());
        scrub(root, cookieValues);
        JSON.writeValue(file.toFile(), root);
    }

    private static void scrub(com.fasterxml.jackson.databind.JsonNode node, Collection<String> values) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            o.remove("cookies");
            o.remove("Cookie");
            o.remove("cookie");
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                com.fasterxml.jackson.databind.JsonNode v = o.get(name);
                if (v.isTextual() && containsAny(v.asText(), values)) {
                    o.put(name, "[redacted]");
                } else {
                    scrub(v, values);
                }
            }
        } else if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i).isTextual() && containsAny(a.get(i).asText(), values)) {
                    a.set(i, com.fasterxml.jackson.databind.node.TextNode.valueOf("[redacted]"));
                } else {
                    scrub(a.get(i), values);
                }
            }
        }
    }

    private static boolean containsAny(String text, Collection<String> values) {
        for (String v : values) {
            if (text.contains(v)) {
                return true;
            }
        }
        return false;
    }

    /** The cookie values of a valid cookies text, for scrubbing them out of tool output. */
    public static List<String> cookieValues(String cookies) {
        List<String> values = new ArrayList<>();
        if (cookies == null) {
            return values;
        }
        for (String line : cookies.split("\r?\n")) {
            String[] f = line.split("\t", -1);
            if (f.length == 7 && (!line.startsWith("#") || line.startsWith("#HttpOnly_")) && f[6].length() >= 4) {
                values.add(f[6]);
            }
        }
        return values;
    }
}
