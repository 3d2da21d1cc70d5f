package dev.mediaorchestrator.downloader;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Small URL helpers shared by the option parser, the node-URL parser and the redactor. Only
 * percent-escapes are decoded: a {@code +} stays a {@code +} (share links and passwords use it
 * literally).
 */
final class Urls {

    /**
     * {@code scheme://[userinfo@]host[:port][rest]}, host possibly a bracketed IPv6 literal; the
     * last {@code @} before the path ends the user info, so an unescaped {@code @} in a password works.
     */
    private static final Pattern AUTHORITY_URL = Pattern.compile(
            "^([A-Za-z][A-Za-z0-9+.-]*)://(?:([^/?#]*)@)?(\\[[0-9A-Fa-f:.]+\\]|[^/?#:\\[\\]@]+)(?::([0-9]{1,5}))?([/?#].*)?$",
            Pattern.DOTALL);

    private Urls() {
    }

    /** The parts of an authority URL; {@code userInfo}, {@code port} and {@code rest} may be null. */
    record Parts(String scheme, String userInfo, String host, Integer port, String rest) {
        /** The host as it goes back into a URL (IPv6 literals bracketed). */
        String hostForUrl() {
            return host.contains(":") ? "[" + host + "]" : host;
        }

        @Override
        public String toString() {
            return scheme + "://" + (userInfo == null ? "" : Redactor.MASK + "@") + hostForUrl()
                    + (port == null ? "" : ":" + port);
        }
    }

    /** Splits {@code url} or returns null when it is not {@code scheme://host...}. */
    static Parts split(String url) {
        if (url == null) {
            return null;
        }
        Matcher m = AUTHORITY_URL.matcher(url);
        if (!m.matches()) {
            return null;
        }
        String host = m.group(3);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        Integer port = null;
        if (m.group(4) != null) {
            port = Integer.parseInt(m.group(4));
            if (port < 1 || port > 65535) {
                return null;
            }
        }
        return new Parts(m.group(1).toLowerCase(Locale.ROOT), m.group(2), host, port, m.group(5));
    }

    /** True when the string holds a whitespace or control character. */
    static boolean hasSpaceOrControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                return true;
            }
        }
        return false;
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters. */
    static String encode(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    /**
     * Decodes {@code %XX} escapes (UTF-8); a malformed escape is kept as it is.
     */
    static String decode(String s) {
        if (s == null || s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%' && i + 2 < raw.length) {
                int hi = Character.digit(raw[i + 1], 16);
                int lo = Character.digit(raw[i + 2], 16);
                if (hi >= 0 && lo >= 0) {
                    out.write((hi << 4) | lo);
                    i += 2;
                    continue;
                }
            }
            out.write(raw[i]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Parses {@code a=1&b=2} into an ordered map with decoded values; the first of a repeated key wins. */
    static Map<String, String> query(String query) {
        Map<String, String> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            out.putIfAbsent(k, v);
        }
        return out;
    }
}
