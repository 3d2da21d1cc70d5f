package dev.mediaorchestrator.downloader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses a proxy share link into one Clash (mihomo) {@code proxies:} entry, with mihomo's field names.
 *
 * <ul>
 *   <li>{@code ssr://BASE64(server:port:protocol:method:obfs:BASE64(password)/?obfsparam=B64&protoparam=B64&remarks=B64)}
 *       → {@code type: ssr, cipher, password, protocol, obfs, protocol-param, obfs-param, udp}</li>
 *   <li>{@code trojan://password@host:port?sni=&type=ws|grpc&path=&host=&serviceName=&allowInsecure=&fp=&alpn=#name}
 *       → {@code type: trojan, password, sni, skip-cert-verify, network, ws-opts, grpc-opts, client-fingerprint, alpn, udp}</li>
 *   <li>{@code vless://uuid@host:port?encryption=none&security=tls|reality|none&sni=&fp=&pbk=&sid=&flow=&type=tcp|ws|grpc|httpupgrade&path=&host=&serviceName=#name}
 *       → {@code type: vless, uuid, tls, servername, client-fingerprint, reality-opts, flow, network, ws-opts, grpc-opts, udp}</li>
 *   <li>{@code ss://BASE64(method:password)@host:port#name} (SIP002, also percent-encoded user info and the
 *       legacy {@code ss://BASE64(method:password@host:port)}) → {@code type: ss, cipher, password, udp}; plugins are refused</li>
 *   <li>{@code http(s)://[user:pass@]host:port}, {@code socks5(h)://[user:pass@]host:port}
 *       → {@code type: http} (with {@code tls: true} for https) / {@code type: socks5}</li>
 * </ul>
 * The entry's {@code name} is the link's {@code #fragment} (or SSR {@code remarks}), else {@link #DEFAULT_NAME}.
 * Errors are {@link IllegalArgumentException}s naming {@code proxy.nodeUrl} that never quote the link.
 */
public final class NodeUrlParser {

    public static final String DEFAULT_NAME = "node";
    static final String FIELD = "proxy.nodeUrl";

    private NodeUrlParser() {
    }

    /** Parses {@code nodeUrl} into a new ordered map (a Clash proxy entry). */
    public static Map<String, Object> parse(String nodeUrl) {
        if (nodeUrl == null || nodeUrl.isBlank()) {
            throw invalid("is empty");
        }
        String url = nodeUrl.trim();
        int sep = url.indexOf("://");
        if (sep <= 0) {
            throw invalid("must be a share link such as ssr://, trojan://, vless://, ss://, http:// or socks5://");
        }
        String scheme = url.substring(0, sep).toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "ssr" -> ssr(url.substring(sep + 3));
            case "trojan" -> trojan(url);
            case "vless" -> vless(url);
            case "ss" -> ss(url);
            case "http", "https", "socks5", "socks5h" -> plain(scheme, url);
            default -> throw invalid("scheme " + safe(scheme) + " is not supported (ssr, trojan, vless, ss, http, https, socks5)");
        };
    }

    // ---- ssr ------------------------------------------------------------------------------

    private static Map<String, Object> ssr(String body) {
        String decoded = base64(stripFragment(body), "ssr body");
        String main = decoded;
        String query = "";
        int q = decoded.indexOf("/?");
        if (q >= 0) {
            main = decoded.substring(0, q);
            query = decoded.substring(q + 2);
        } else if ((q = decoded.indexOf('?')) >= 0) {
            main = decoded.substring(0, q);
            query = decoded.substring(q + 1);
        }
        String[] parts = main.split(":", -1);
        if (parts.length < 6) {
            throw invalid("ssr link must decode to server:port:protocol:method:obfs:password");
        }
        int n = parts.length;
        String server = String.join(":", Arrays.copyOfRange(parts, 0, n - 5));
        if (server.startsWith("[") && server.endsWith("]")) {
            server = server.substring(1, server.length() - 1);
        }
        int port = port(parts[n - 5]);
        String protocol = parts[n - 4];
        String method = parts[n - 3];
        String obfs = parts[n - 2];
        String password = base64(parts[n - 1], "ssr password");
        if (server.isEmpty() || protocol.isEmpty() || method.isEmpty() || obfs.isEmpty()) {
            throw invalid("ssr link has an empty server, protocol, method or obfs");
        }
        Map<String, String> params = Urls.query(query);
        String name = b64Param(params.get("remarks"));
        Map<String, Object> e = entry(name, "ssr", server, port);
        e.put("cipher", method);
        e.put("password", password);
        e.put("protocol", protocol);
        e.put("obfs", obfs);
        putIfText(e, "protocol-param", b64Param(params.get("protoparam")));
        putIfText(e, "obfs-param", b64Param(params.get("obfsparam")));
        e.put("udp", true);
        return e;
    }

    private static String b64Param(String v) {
        return v == null || v.isEmpty() ? null : base64(v, "ssr parameter");
    }

    // ---- trojan / vless -----------------------------------------------------------------------

    private static Map<String, Object> trojan(String url) {
        Link l = link(url);
        Map<String, Object> e = entry(l.name, "trojan", l.host, l.port);
        e.put("password", l.user);
        String security = l.param("security");
        String sni = firstText(l.param("sni"), l.param("peer"));
        putIfText(e, "sni", sni);
        if (truthy(l.param("allowInsecure")) || truthy(l.param("insecure"))) {
            e.put("skip-cert-verify", true);
        }
        putIfText(e, "client-fingerprint", l.param("fp"));
        List<String> alpn = list(l.param("alpn"));
        if (!alpn.isEmpty()) {
            e.put("alpn", alpn);
        }
        if ("reality".equalsIgnoreCase(security)) {
            e.put("reality-opts", realityOpts(l));
            e.putIfAbsent("client-fingerprint", "chrome");
        }
        transport(e, l);
        e.put("udp", true);
        return e;
    }

    private static Map<String, Object> vless(String url) {
        Link l = link(url);
        Map<String, Object> e = entry(l.name, "vless", l.host, l.port);
        e.put("uuid", l.user);
        String encryption = l.param("encryption");
        if (encryption != null && !encryption.isEmpty() && !encryption.equalsIgnoreCase("none")) {
            e.put("encryption", encryption);
        }
        String security = l.param("security") == null ? "none" : l.param("security").toLowerCase(Locale.ROOT);
        switch (security) {
            case "", "none" -> { }
            case "tls", "reality" -> {
                e.put("tls", true);
                putIfText(e, "servername", l.param("sni"));
                putIfText(e, "client-fingerprint", l.param("fp"));
                List<String> alpn = list(l.param("alpn"));
                if (!alpn.isEmpty()) {
                    e.put("alpn", alpn);
                }
                if (truthy(l.param("allowInsecure")) || truthy(l.param("insecure"))) {
                    e.put("skip-cert-verify", true);
                }
                if (security.equals("reality")) {
                    e.put("reality-opts", realityOpts(l));
                    e.putIfAbsent("client-fingerprint", "chrome");
                }
            }
            default -> throw invalid("vless security " + safe(security) + " is not supported (none, tls, reality)");
        }
        putIfText(e, "flow", l.param("flow"));
        transport(e, l);
        e.put("udp", true);
        return e;
    }

    private static Map<String, Object> realityOpts(Link l) {
        String pbk = l.param("pbk");
        if (pbk == null || pbk.isEmpty()) {
            throw invalid("reality needs pbk (the public key)");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("public-key", pbk);
        putIfText(r, "short-id", l.param("sid"));
        return r;
    }

    /** {@code type} (network) with its ws/grpc options; tcp is written as {@code network: tcp}. */
    private static void transport(Map<String, Object> e, Link l) {
        String type = l.param("type") == null ? "tcp" : l.param("type").toLowerCase(Locale.ROOT);
        switch (type) {
            case "", "tcp" -> {
                if ("http".equalsIgnoreCase(l.param("headerType"))) {
                    throw invalid("tcp with headerType=http is not supported");
                }
                e.put("network", "tcp");
            }
            case "ws", "httpupgrade" -> {
                e.put("network", "ws");
                Map<String, Object> ws = new LinkedHashMap<>();
                String path = l.param("path");
                ws.put("path", path == null || path.isEmpty() ? "/" : path);
                String host = l.param("host");
                if (host != null && !host.isEmpty()) {
                    Map<String, Object> headers = new LinkedHashMap<>();
                    headers.put("Host", host);
                    ws.put("headers", headers);
                }
                if (type.equals("httpupgrade")) {
                    ws.put("v2ray-http-upgrade", true);
                }
                e.put("ws-opts", ws);
            }
            case "grpc" -> {
                e.put("network", "grpc");
                Map<String, Object> grpc = new LinkedHashMap<>();
                grpc.put("grpc-service-name", l.param("serviceName") == null ? "" : l.param("serviceName"));
                e.put("grpc-opts", grpc);
            }
            default -> throw invalid("transport type " + safe(type) + " is not supported (tcp, ws, httpupgrade, grpc)");
        }
    }

    // ---- ss ---------------------------------------------------------------------------------

    private static Map<String, Object> ss(String url) {
        String withoutFragment = stripFragment(url);
        String name = fragment(url);
        Urls.Parts p = Urls.split(withoutFragment);
        String method;
        String password;
        String host;
        int port;
        if (p != null && p.userInfo() != null && p.port() != null) {
            String user = p.userInfo();
            String plain = user.contains(":") ? Urls.decode(user) : base64(Urls.decode(user), "ss user info");
            int colon = plain.indexOf(':');
            if (colon <= 0) {
                throw invalid("ss user info must be method:password");
            }
            method = plain.substring(0, colon);
            password = plain.substring(colon + 1);
            host = p.host();
            port = p.port();
            Map<String, String> params = Urls.query(queryOf(p.rest()));
            if (params.containsKey("plugin")) {
                throw invalid("ss plugins are not supported");
            }
        } else {
            // legacy: ss://BASE64(method:password@host:port)
            String body = withoutFragment.substring(withoutFragment.indexOf("://") + 3);
            int cut = body.indexOf('?');
            if (cut >= 0) {
                body = body.substring(0, cut);
            }
            if (body.endsWith("/")) {
                body = body.substring(0, body.length() - 1);
            }
            String decoded = base64(body, "ss body");
            int at = decoded.lastIndexOf('@');
            int colon = decoded.indexOf(':');
            if (at < 0 || colon <= 0 || colon > at) {
                throw invalid("ss link must be method:password@host:port");
            }
            Urls.Parts hp = Urls.split("ss://" + decoded.substring(at + 1));
            if (hp == null || hp.port() == null || hp.rest() != null) {
                throw invalid("ss link needs host:port");
            }
            method = decoded.substring(0, colon);
            password = decoded.substring(colon + 1, at);
            host = hp.host();
            port = hp.port();
        }
        if (method.isEmpty() || password.isEmpty()) {
            throw invalid("ss link needs a method and a password");
        }
        Map<String, Object> e = entry(name, "ss", host, port);
        e.put("cipher", method.toLowerCase(Locale.ROOT));
        e.put("password", password);
        e.put("udp", true);
        return e;
    }

    // ---- http / socks5 ----------------------------------------------------------------------

    private static Map<String, Object> plain(String scheme, String url) {
        Urls.Parts p = Urls.split(stripFragment(url));
        if (p == null || p.port() == null || (p.rest() != null && !p.rest().equals("/"))) {
            throw invalid(scheme + " node needs host:port and no path");
        }
        String user = null;
        String password = null;
        if (p.userInfo() != null) {
            int colon = p.userInfo().indexOf(':');
            user = Urls.decode(colon < 0 ? p.userInfo() : p.userInfo().substring(0, colon));
            password = colon < 0 ? null : Urls.decode(p.userInfo().substring(colon + 1));
        }
        return plainEntry(fragment(url), scheme, p.host(), p.port(), user, password);
    }

    /**
     * An http ({@code tls: true} for https) or socks5 entry; {@code socks5h} is socks5 (mihomo always
     * lets the proxy resolve names).
     */
    static Map<String, Object> plainEntry(String name, String scheme, String host, int port, String user, String password) {
        boolean socks = scheme.startsWith("socks");
        Map<String, Object> e = entry(name, socks ? "socks5" : "http", host, port);
        putIfText(e, "username", user);
        putIfText(e, "password", password);
        if (scheme.equals("https")) {
            e.put("tls", true);
        }
        if (socks) {
            e.put("udp", true);
        }
        return e;
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** A {@code scheme://user@host:port?query#name} link. */
    private record Link(String user, String host, int port, Map<String, String> params, String name) {
        String param(String key) {
            return params.get(key);
        }
    }

    private static Link link(String url) {
        String name = fragment(url);
        Urls.Parts p = Urls.split(stripFragment(url));
        if (p == null || p.port() == null) {
            throw invalid("link needs user@host:port");
        }
        String user = p.userInfo() == null ? null : Urls.decode(p.userInfo());
        if (user == null || user.isEmpty()) {
            throw invalid("link needs the password or uuid before @");
        }
        return new Link(user, p.host(), p.port(), Urls.query(queryOf(p.rest())), name);
    }

    private static String queryOf(String rest) {
        if (rest == null) {
            return "";
        }
        int q = rest.indexOf('?');
        return q < 0 ? "" : rest.substring(q + 1);
    }

    private static String stripFragment(String s) {
        int h = s.indexOf('#');
        return h < 0 ? s : s.substring(0, h);
    }

    private static String fragment(String s) {
        int h = s.indexOf('#');
        if (h < 0) {
            return null;
        }
        String f = Urls.decode(s.substring(h + 1)).trim();
        return f.isEmpty() ? null : f;
    }

    static Map<String, Object> entry(String name, String type, String server, int port) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name == null || name.isBlank() ? DEFAULT_NAME : name.trim());
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

    private static String firstText(String a, String b) {
        return a != null && !a.isEmpty() ? a : (b != null && !b.isEmpty() ? b : null);
    }

    private static boolean truthy(String v) {
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
    }

    private static List<String> list(String v) {
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

    private static int port(String s) {
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
    private static String safe(String s) {
        return s.length() <= 16 && s.matches("[A-Za-z0-9_.+-]*") ? "'" + s + "'" : "(unrecognised)";
    }

    private static IllegalArgumentException invalid(String why) {
        return new IllegalArgumentException(FIELD + ": " + why);
    }
}
