package dev.mediaorchestrator.downloader;

import java.util.Map;

import static dev.mediaorchestrator.downloader.ShareLinks.fragment;
import static dev.mediaorchestrator.downloader.ShareLinks.invalid;
import static dev.mediaorchestrator.downloader.ShareLinks.putIfText;
import static dev.mediaorchestrator.downloader.ShareLinks.stripFragment;

/**
 * {@code http(s)://[user:pass@]host:port}, {@code socks5(h)://[user:pass@]host:port} → {@code type: http}
 * (with {@code tls: true} for https) / {@code type: socks5}; also the entry of the {@code proxy}
 * fields of these protocols ({@link ClashConfigBuilder#proxyEntry}).
 */
final class PlainProxyLinks {
    private PlainProxyLinks() {
    }

    static Map<String, Object> parse(String scheme, String url) {
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
        return entry(fragment(url), scheme, p.host(), p.port(), user, password);
    }

    /**
     * An http ({@code tls: true} for https) or socks5 entry; {@code socks5h} is socks5 (mihomo always
     * lets the proxy resolve names).
     */
    static Map<String, Object> entry(String name, String scheme, String host, int port, String user, String password) {
        boolean socks = scheme.startsWith("socks");
        Map<String, Object> e = ShareLinks.entry(name, socks ? "socks5" : "http", host, port);
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
}
