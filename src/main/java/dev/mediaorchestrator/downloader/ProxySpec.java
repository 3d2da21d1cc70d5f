package dev.mediaorchestrator.downloader;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The per-job {@code engineOptions.proxy} object: {@code {protocol, server, port, username, password, nodeUrl}}.
 *
 * <p>Three kinds, decided here once:
 * <ul>
 *   <li><b>node URL</b> ({@link #hasNodeUrl()}): a share link ({@code ssr://}, {@code trojan://},
 *       {@code vless://}, {@code ss://}, or an {@code http(s)://}/{@code socks5://} node). It wins over the
 *       other fields and always goes through mihomo.</li>
 *   <li><b>server credentials for a Clash-only protocol</b> ({@link #needsClash()}): protocol
 *       {@code ss} or {@code trojan} with server and port; yt-dlp cannot speak these, so they go
 *       through mihomo. Field mapping: trojan password = {@code password} (TLS, SNI = server);
 *       ss cipher = {@code username}, password = {@code password}.</li>
 *   <li><b>plain proxy</b> ({@link #isPlain()}): {@code http}, {@code https}, {@code socks4(a)},
 *       {@code socks5(h)} (alias {@code socks}); yt-dlp speaks these itself, so they go to
 *       {@code yt-dlp --proxy} with the credentials percent-encoded into the URL.</li>
 * </ul>
 * {@code ssr}, {@code vless}, {@code vmess} and other protocols need a node URL (their transport
 * and TLS settings cannot be expressed by the fields). A missing protocol with a server
 * means {@code http}. {@link #toString()} never shows the password, username or node URL.
 */
public record ProxySpec(String protocol, String server, Integer port, String username, String password, String nodeUrl) {

    /** Protocols yt-dlp speaks itself. */
    public static final Set<String> PLAIN_PROTOCOLS = Set.of("http", "https", "socks4", "socks4a", "socks5", "socks5h");
    /** Protocols that need mihomo and can be given as fields (without a node URL). */
    public static final Set<String> CLASH_FIELD_PROTOCOLS = Set.of("ss", "trojan");

    /**
     * Parses the {@code proxy} object.
     *
     * @return null when the object is absent or carries neither a node URL nor a server
     * @throws IllegalArgumentException naming the field ({@code proxy.port}, {@code proxy.protocol}, ...)
     */
    public static ProxySpec parse(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("proxy must be an object");
        }
        String nodeUrl = text(map.get("nodeUrl"));
        String server = text(map.get("server"));
        String protocol = text(map.get("protocol"));
        String username = rawText(map.get("username"));
        String password = rawText(map.get("password"));
        Integer port = port(map.get("port"));
        if (nodeUrl != null) {
            NodeUrlParser.parse(nodeUrl); // validates; throws naming proxy.nodeUrl
            return new ProxySpec(protocol == null ? null : normalize(protocol), server, port, username, password, nodeUrl);
        }
        if (server == null) {
            if (port != null || protocol != null || username != null || password != null) {
                throw new IllegalArgumentException("proxy.server is required (or proxy.nodeUrl)");
            }
            return null;
        }
        if (Urls.hasSpaceOrControl(server) || server.contains("/") || server.contains("@")) {
            throw new IllegalArgumentException("proxy.server must be a host name or IP address");
        }
        if (server.startsWith("[") && server.endsWith("]")) {
            server = server.substring(1, server.length() - 1);
        }
        if (port == null) {
            throw new IllegalArgumentException("proxy.port is required");
        }
        String p = protocol == null ? "http" : normalize(protocol);
        if (!PLAIN_PROTOCOLS.contains(p) && !CLASH_FIELD_PROTOCOLS.contains(p)) {
            if (p.equals("ssr") || p.equals("vless") || p.equals("vmess")) {
                throw new IllegalArgumentException("proxy.nodeUrl is required for protocol " + p);
            }
            throw new IllegalArgumentException("proxy.protocol must be one of http, https, socks4, socks4a, socks5, socks5h, ss, trojan");
        }
        ProxySpec spec = new ProxySpec(p, server, port, username, password, null);
        switch (p) {
            case "trojan" -> {
                if (password == null || password.isEmpty()) {
                    throw new IllegalArgumentException("proxy.password is required for protocol trojan");
                }
            }
            case "ss" -> {
                if (username == null || password == null || password.isEmpty()) {
                    throw new IllegalArgumentException("proxy.username (the cipher) and proxy.password are required for protocol ss");
                }
            }
            default -> {
                if (password != null && username == null) {
                    throw new IllegalArgumentException("proxy.username is required when proxy.password is set");
                }
            }
        }
        return spec;
    }

    public boolean hasNodeUrl() {
        return nodeUrl != null;
    }

    /** A field-given proxy whose protocol only mihomo speaks (ss, trojan). */
    public boolean needsClash() {
        return !hasNodeUrl() && CLASH_FIELD_PROTOCOLS.contains(protocol);
    }

    /** A field-given proxy that yt-dlp speaks itself. */
    public boolean isPlain() {
        return !hasNodeUrl() && PLAIN_PROTOCOLS.contains(protocol);
    }

    /**
     * The URL for {@code yt-dlp --proxy}: {@code protocol://user:pass@server:port} with user and
     * password percent-encoded (so {@code @ : / + %} in a password survive).
     *
     * @throws IllegalStateException when this is not a plain proxy
     */
    public String toProxyUrl() {
        if (!isPlain()) {
            throw new IllegalStateException("not a plain proxy: " + this);
        }
        StringBuilder sb = new StringBuilder(protocol).append("://");
        if (username != null) {
            sb.append(Urls.encode(username));
            if (password != null) {
                sb.append(':').append(Urls.encode(password));
            }
            sb.append('@');
        }
        sb.append(server.contains(":") ? "[" + server + "]" : server).append(':').append(port);
        return sb.toString();
    }

    @Override
    public String toString() {
        if (hasNodeUrl()) {
            return "ProxySpec{nodeUrl=" + Redactor.nodeUrl(nodeUrl) + "}";
        }
        return "ProxySpec{" + protocol + "://" + (username != null || password != null ? Redactor.MASK + "@" : "")
                + (server != null && server.contains(":") ? "[" + server + "]" : server) + ":" + port + "}";
    }

    private static String normalize(String protocol) {
        String p = protocol.trim().toLowerCase(Locale.ROOT);
        return switch (p) {
            case "socks" -> "socks5";
            case "shadowsocks" -> "ss";
            case "shadowsocksr" -> "ssr";
            default -> p;
        };
    }

    private static String text(Object o) {
        if (o == null) {
            return null;
        }
        String s = o.toString().trim();
        return s.isEmpty() ? null : s;
    }

    /** Credentials are kept as given (no trimming: a space can be part of a password). */
    private static String rawText(Object o) {
        if (o == null) {
            return null;
        }
        String s = o.toString();
        return s.isEmpty() ? null : s;
    }

    private static Integer port(Object o) {
        if (o == null || o.toString().isBlank()) {
            return null;
        }
        long v;
        if (o instanceof Number n) {
            if (n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException("proxy.port must be an integer 1..65535");
            }
            v = n.longValue();
        } else {
            try {
                v = Long.parseLong(o.toString().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("proxy.port must be an integer 1..65535");
            }
        }
        if (v < 1 || v > 65535) {
            throw new IllegalArgumentException("proxy.port must be an integer 1..65535");
        }
        return (int) v;
    }
}
