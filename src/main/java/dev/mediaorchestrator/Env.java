package dev.mediaorchestrator;

import dev.mediaorchestrator.Config.ConfigException;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;

/** Reading environment variables; every malformed value is a {@link ConfigException} naming the variable. */
public final class Env {
    private Env() {
    }

    /** The value given for {@code s}, else its default (null when it has none). */
    public static String str(Map<String, String> env, Setting s) {
        return str(env, s.name(), s.value());
    }

    /** The value given for {@code s}, else {@code def}: a setting whose default is worked out ({@link Setting#derived}). */
    public static String str(Map<String, String> env, Setting s, String def) {
        return str(env, s.name(), def);
    }

    /** The value given for {@code s}, trimmed; null when blank or unset (a setting without a default). */
    public static String given(Map<String, String> env, Setting s) {
        return blankToNull(env.get(s.name()));
    }

    public static int port(Map<String, String> env, Setting s) {
        return port(env, s.name(), Integer.parseInt(s.value()));
    }

    public static long positiveLong(Map<String, String> env, Setting s) {
        return positiveLong(env, s.name(), Long.parseLong(s.value()));
    }

    /** {@code s} as a positive whole number, else {@code def} (a default worked out from other settings). */
    public static long positiveLong(Map<String, String> env, Setting s, long def) {
        return positiveLong(env, s.name(), def);
    }

    public static boolean bool(Map<String, String> env, Setting s) {
        return bool(env, s.name(), Boolean.parseBoolean(s.value()));
    }

    /** {@code s} as true or false, else {@code def} (a default worked out from other settings). */
    public static boolean bool(Map<String, String> env, Setting s, boolean def) {
        return bool(env, s.name(), def);
    }

    /** {@code s} as an http(s) URL, else {@code def} (null: unset). */
    public static URI url(Map<String, String> env, Setting s, String def) {
        return url(env, s.name(), def);
    }

    public static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    public static String str(Map<String, String> env, String name, String def) {
        String v = blankToNull(env.get(name));
        return v == null ? def : v;
    }

    public static int port(Map<String, String> env, String name, int def) {
        String v = blankToNull(env.get(name));
        if (v == null) {
            return def;
        }
        try {
            int p = Integer.parseInt(v);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": not a valid port: '" + v + "'");
        }
    }

    public static long positiveLong(Map<String, String> env, String name, long def) {
        String v = blankToNull(env.get(name));
        if (v == null) {
            return def;
        }
        try {
            long n = Long.parseLong(v);
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(name + ": expected a positive whole number, got '" + v + "'");
        }
    }

    public static boolean bool(Map<String, String> env, String name, boolean def) {
        String v = blankToNull(env.get(name));
        if (v == null) {
            return def;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigException(name + ": expected true or false, got '" + v + "'");
        };
    }

    public static URI url(Map<String, String> env, String name, String def) {
        String v = blankToNull(env.get(name));
        if (v == null) {
            return def == null ? null : URI.create(def);
        }
        return parseUrl(name, v);
    }

    public static URI parseUrl(String name, String v) {
        try {
            URI u = new URI(v.endsWith("/") ? v.substring(0, v.length() - 1) : v);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new ConfigException(name + ": expected an http(s) URL, got '" + v + "'");
            }
            if (u.getHost() == null || u.getHost().isEmpty()) {
                throw new ConfigException(name + ": URL has no host: '" + v + "'");
            }
            if (u.getRawQuery() != null || u.getRawFragment() != null) {
                throw new ConfigException(name + ": URL must not have a query or fragment: '" + v + "'");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new ConfigException(name + ": not a valid URL: '" + v + "'");
        }
    }
}
