package dev.mediaorchestrator.downloader;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.mediaorchestrator.downloader.ShareLinks.entry;
import static dev.mediaorchestrator.downloader.ShareLinks.firstText;
import static dev.mediaorchestrator.downloader.ShareLinks.fragment;
import static dev.mediaorchestrator.downloader.ShareLinks.invalid;
import static dev.mediaorchestrator.downloader.ShareLinks.list;
import static dev.mediaorchestrator.downloader.ShareLinks.putIfText;
import static dev.mediaorchestrator.downloader.ShareLinks.queryOf;
import static dev.mediaorchestrator.downloader.ShareLinks.safe;
import static dev.mediaorchestrator.downloader.ShareLinks.stripFragment;
import static dev.mediaorchestrator.downloader.ShareLinks.truthy;

/**
 * The links of V2Ray's family, {@code scheme://secret@host:port?params#name}:
 * <ul>
 *   <li>{@code trojan://password@host:port?sni=&type=ws|grpc&path=&host=&serviceName=&allowInsecure=&fp=&alpn=#name}
 *       → {@code type: trojan, password, sni, skip-cert-verify, network, ws-opts, grpc-opts, client-fingerprint, alpn, udp}</li>
 *   <li>{@code vless://uuid@host:port?encryption=none&security=tls|reality|none&sni=&fp=&pbk=&sid=&flow=&type=tcp|ws|grpc|httpupgrade&path=&host=&serviceName=#name}
 *       → {@code type: vless, uuid, tls, servername, client-fingerprint, reality-opts, flow, network, ws-opts, grpc-opts, udp}</li>
 * </ul>
 */
final class V2rayLinks {
    private V2rayLinks() {
    }

    static Map<String, Object> trojan(String url) {
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

    static Map<String, Object> vless(String url) {
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
}
