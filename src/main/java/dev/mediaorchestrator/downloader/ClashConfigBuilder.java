package dev.mediaorchestrator.downloader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Builds mihomo (Clash.Meta) configurations as ordered maps and writes them with snakeyaml-engine
 * (never by string concatenation). Every configuration it makes or accepts listens on loopback only:
 * <pre>
 * port: MIHOMO_PORT            # HTTP proxy, what yt-dlp gets as --proxy http://127.0.0.1:MIHOMO_PORT
 * socks-port: MIHOMO_SOCKS_PORT
 * allow-lan: false
 * bind-address: 127.0.0.1
 * mode: rule                   # CLASH_MODE, lower-cased
 * log-level: warning
 * </pre>
 * <ul>
 *   <li>{@link #forProxy(Map)}: one proxy entry, a {@code select} group {@value #GROUP} holding it,
 *       {@code rules: [MATCH,PROXY]}.</li>
 *   <li>{@link #forSubscription(String)}: a {@code proxy-providers} entry {@value #PROVIDER}
 *       (type http, url, path, interval, health-check) and a {@code url-test} group {@value #GROUP} using it,
 *       so the first live node is taken rather than whichever the subscription lists first.</li>
 *   <li>{@link #forRawConfig(String)}: the operator's YAML with the listener settings enforced: the
 *       ports, allow-lan and bind-address above are set; {@code mixed-port}, {@code redir-port},
 *       {@code tproxy-port}, {@code external-controller*}, {@code external-ui}, {@code authentication},
 *       {@code listeners}, {@code tun} and {@code dns.listen} are removed (they would open other
 *       listeners, collide between jobs, or make the local proxy ask yt-dlp for credentials).
 *       {@code mode} is {@code CLASH_MODE} when that is set, else the raw config's own.</li>
 * </ul>
 */
public final class ClashConfigBuilder {

    public static final String GROUP = "PROXY";
    public static final String PROVIDER = "subscription";
    public static final String LOG_LEVEL = "warning";
    public static final String HEALTH_CHECK_URL = "https://www.gstatic.com/generate_204";
    static final String RAW_FIELD = "CLASH_RAW_CONFIG";
    static final Set<String> RAW_REMOVED_KEYS = Set.of("mixed-port", "redir-port", "tproxy-port",
            "external-controller", "external-controller-tls", "external-controller-unix",
            "external-controller-pipe", "external-ui", "authentication", "listeners", "tun");

    /** Names mihomo already uses for a group or a built-in proxy. */
    static final Set<String> RESERVED_NAMES = Set.of(GROUP, "DIRECT", "REJECT", "REJECT-DROP", "PASS", "COMPATIBLE", "GLOBAL");

    private final ProxySettings settings;

    public ClashConfigBuilder(ProxySettings settings) {
        this.settings = settings;
    }

    /** A configuration routing everything through one proxy entry (from {@link #proxyEntry(ProxySpec)} or {@link NodeUrlParser}). */
    public Map<String, Object> forProxy(Map<String, Object> proxyEntry) {
        Object name = proxyEntry.get("name");
        if (name == null || proxyEntry.get("type") == null) {
            throw new IllegalArgumentException("a proxy entry needs a name and a type");
        }
        if (RESERVED_NAMES.contains(name.toString().toUpperCase(Locale.ROOT))) {
            // proxies and groups share one namespace in mihomo, with some built-in names
            proxyEntry = new LinkedHashMap<>(proxyEntry);
            name = NodeUrlParser.DEFAULT_NAME + "-" + name;
            proxyEntry.put("name", name);
        }
        Map<String, Object> c = header(settings.modeOrDefault(), LOG_LEVEL);
        c.put("proxies", List.of(proxyEntry));
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("name", GROUP);
        group.put("type", "select");
        group.put("proxies", List.of(name.toString()));
        c.put("proxy-groups", List.of(group));
        c.put("rules", List.of("MATCH," + GROUP));
        return c;
    }

    /** A configuration whose nodes come from a subscription URL (fetched by mihomo). */
    public Map<String, Object> forSubscription(String subscriptionUrl) {
        Map<String, Object> c = header(settings.modeOrDefault(), LOG_LEVEL);
        Map<String, Object> health = new LinkedHashMap<>();
        health.put("enable", true);
        health.put("url", HEALTH_CHECK_URL);
        health.put("interval", 300);
        Map<String, Object> provider = new LinkedHashMap<>();
        provider.put("type", "http");
        provider.put("url", subscriptionUrl);
        provider.put("path", "./providers/" + PROVIDER + ".yaml");
        provider.put("interval", 3600);
        provider.put("health-check", health);
        Map<String, Object> providers = new LinkedHashMap<>();
        providers.put(PROVIDER, provider);
        c.put("proxy-providers", providers);
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("name", GROUP);
        group.put("type", "url-test");
        group.put("use", List.of(PROVIDER));
        group.put("url", HEALTH_CHECK_URL);
        group.put("interval", 300);
        c.put("proxy-groups", List.of(group));
        c.put("rules", List.of("MATCH," + GROUP));
        return c;
    }

    /** The operator's configuration ({@code CLASH_RAW_CONFIG}) with the listener settings enforced. */
    public Map<String, Object> forRawConfig(String rawConfig) {
        Map<String, Object> raw = parseRawConfig(rawConfig);
        String mode = settings.clashMode() != null ? settings.clashMode()
                : raw.get("mode") == null ? ProxySettings.DEFAULT_MODE : raw.get("mode").toString().toLowerCase(Locale.ROOT);
        String logLevel = raw.get("log-level") == null ? LOG_LEVEL : raw.get("log-level").toString();
        Map<String, Object> c = header(mode, logLevel);
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            String key = e.getKey();
            if (c.containsKey(key) || RAW_REMOVED_KEYS.contains(key)) {
                continue;
            }
            Object value = e.getValue();
            if (key.equals("dns") && value instanceof Map<?, ?> dns) {
                Map<String, Object> copy = stringKeys(dns, "dns");
                copy.remove("listen");
                value = copy;
            }
            c.put(key, value);
        }
        return c;
    }

    /**
     * A Clash entry from the {@code proxy} fields: node URL (parsed), http/https/socks5 (with
     * username/password when given), ss (cipher = username) or trojan.
     *
     * @throws IllegalArgumentException when the protocol cannot be expressed for mihomo (socks4)
     */
    public static Map<String, Object> proxyEntry(ProxySpec spec) {
        if (spec.hasNodeUrl()) {
            return NodeUrlParser.parse(spec.nodeUrl());
        }
        String p = spec.protocol();
        Map<String, Object> e;
        switch (p) {
            case "http", "https", "socks5", "socks5h" -> e = PlainProxyLinks.entry(null, p, spec.server(), spec.port(),
                    spec.username(), spec.password());
            case "ss" -> {
                e = ShareLinks.entry(null, "ss", spec.server(), spec.port());
                e.put("cipher", spec.username().trim().toLowerCase(Locale.ROOT));
                e.put("password", spec.password());
                e.put("udp", true);
            }
            case "trojan" -> {
                e = ShareLinks.entry(null, "trojan", spec.server(), spec.port());
                e.put("password", spec.password());
                e.put("udp", true);
            }
            default -> throw new IllegalArgumentException("proxy.protocol " + p + " cannot be used with mihomo");
        }
        return e;
    }

    /** Writes a configuration as block-style YAML. */
    public static String toYaml(Map<String, Object> config) {
        DumpSettings s = DumpSettings.builder()
                .setDefaultFlowStyle(FlowStyle.BLOCK)
                .setIndent(2)
                .setIndicatorIndent(2)
                .setIndentWithIndicator(true)
                .setSplitLines(false)
                .build();
        return new Dump(s).dumpToString(config);
    }

    /**
     * Reads YAML whose top level is a mapping.
     *
     * @throws IllegalArgumentException with {@code what} and the error position only (never the text)
     */
    public static Map<String, Object> parseYaml(String yaml, String what) {
        Object loaded;
        try {
            loaded = new Load(LoadSettings.builder().setLabel(what).build()).loadFromString(yaml);
        } catch (MarkedYamlEngineException e) {
            String where = e.getProblemMark().map(m -> " (line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ")").orElse("");
            throw new IllegalArgumentException(what + " is not valid YAML" + where);
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException(what + " is not valid YAML");
        }
        if (!(loaded instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(what + " must be a YAML mapping");
        }
        return stringKeys(map, what);
    }

    /**
     * Parses {@code CLASH_RAW_CONFIG}: YAML text, or base64 of it (handy in an env var). It must
     * define {@code proxies} or {@code proxy-providers}.
     */
    static Map<String, Object> parseRawConfig(String raw) {
        String text = raw.trim();
        Map<String, Object> map;
        if (!text.contains("\n") && !text.contains(":") && text.matches("[A-Za-z0-9+/=_-]+")) {
            String decoded;
            try {
                decoded = new String(Base64.getMimeDecoder().decode(text.replace('-', '+').replace('_', '/')), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(RAW_FIELD + " must be YAML or base64-encoded YAML");
            }
            map = parseYaml(decoded, RAW_FIELD);
        } else {
            map = parseYaml(text, RAW_FIELD);
        }
        boolean hasProxies = map.get("proxies") instanceof List<?> l && !l.isEmpty();
        boolean hasProviders = map.get("proxy-providers") instanceof Map<?, ?> m && !m.isEmpty();
        if (!hasProxies && !hasProviders) {
            throw new IllegalArgumentException(RAW_FIELD + " defines no proxies and no proxy-providers");
        }
        return map;
    }

    private Map<String, Object> header(String mode, String logLevel) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("port", settings.mihomoPort());
        c.put("socks-port", settings.mihomoSocksPort());
        c.put("allow-lan", false);
        c.put("bind-address", "127.0.0.1");
        c.put("mode", mode);
        c.put("log-level", logLevel);
        return c;
    }

    private static Map<String, Object> stringKeys(Map<?, ?> map, String what) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException(what + " has a null key");
            }
            out.put(e.getKey().toString(), e.getValue());
        }
        return out;
    }

    /** Every string under a key that names a credential, anywhere in the structure (for {@link Redactor#scrub}). */
    static List<String> secretValues(Object node) {
        List<String> out = new ArrayList<>();
        collectSecrets(node, null, out);
        return out;
    }

    private static final Set<String> SECRET_KEYS = Set.of("password", "uuid", "private-key", "pre-shared-key",
            "auth-str", "auth", "psk", "token", "obfs-password", "protocol-param", "obfs-param", "username", "url",
            "secret", "public-key", "short-id");

    private static void collectSecrets(Object node, String key, List<String> out) {
        if (node instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                collectSecrets(e.getValue(), String.valueOf(e.getKey()), out);
            }
        } else if (node instanceof List<?> l) {
            for (Object o : l) {
                collectSecrets(o, key, out);
            }
        } else if (node != null && key != null && SECRET_KEYS.contains(key.toLowerCase(Locale.ROOT))) {
            out.add(node.toString());
        }
    }
}
