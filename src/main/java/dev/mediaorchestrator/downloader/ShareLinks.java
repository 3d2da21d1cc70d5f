package dev.mediaorchestrator.downloader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the share-link parsers of {@link NodeUrlParser} have in common: the link's name (its
 * {@code #fragment}) and query, the Clash entry they fill, base64 and port checks, and errors that
 * name {@code proxy.nodeUrl} without quoting the link (it holds a password).
 */
final class ShareLinks {
    static final String FIELD = "proxy.nodeUrl";

    private ShareLinks() {
    }

    static String queryOf(String rest) {
        if (rest == null) {
            return "";
        }
        int q = rest.indexOf('?');
        return q < 0 ? "" : rest.substring(q + 1);
    }

    static String stripFragment(String s) {
        int h = s.indexOf('#');
        return h < 0 ? s : s.substring(0, h);
    }

    static String fragment(String s) {
        int h = s.indexOf('#');
        if (h < 0) {
            return null;
        }
        String f = Urls.decode(s.substring(h + 1)).trim();
        return f.isEmpty() ? null : f;
    }

    static Map<String, Object> entry(String name, String type, String server, int port) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name == null || name.isBlank() ? NodeUrlParser.DEFAULT_NAME : name.trim());
        e.put("type", type);
        e.put("server", server);
        e.put("port", port);
        return e;
    }

    static void putIfText(Map<String, Object> m, String key, String value) {
        if (value != null && !value.isEmpty()) {
            m.put(key, value);
        }
    }

    static String firstText(String a, String b) {
        return a != null && !a.isEmpty() ? a : (b != null && !b.isEmpty() ? b : null);
    }

    static boolean truthy(String v) {
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    static List<String> list(String v) {
        List<String> out = new ArrayList<>();
        if (v != null) {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    static int port(String s) {
        try {
            int p = Integer.parseInt(s.trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw invalid("port must be 1..65535");
    }

    /** Decodes standard or URL-safe base64, with or without padding. */
    static String base64(String s, String what) {
        String t = s.trim().replace('-', '+').replace('_', '/').replaceAll("\\s", "");
        while (t.length() % 4 != 0) {
            t += "=";
        }
        try {
            return new String(Base64.getDecoder().decode(t), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid(what + " is not valid base64");
        }
    }

    /** Only short, tame tokens are quoted back in messages. */
    static String safe(String s) {
        return s.length() <= 16 && s.matches("[A-Za-z0-9_.+-]*") ? "'" + s + "'" : "(unrecognised)";
    }

    static IllegalArgumentException invalid(String why) {
        return new IllegalArgumentException(FIELD + ": " + why);
    }
}
