package dev.mediaorchestrator.downloader;

import java.util.Locale;
import java.util.Map;

import static dev.mediaorchestrator.downloader.ShareLinks.invalid;
import static dev.mediaorchestrator.downloader.ShareLinks.safe;

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
 * This class picks the parser of the link's scheme: {@link SsrLinks}, {@link V2rayLinks},
 * {@link SsLinks}, {@link PlainProxyLinks} (their common parts in {@link ShareLinks}).
 */
public final class NodeUrlParser {

    public static final String DEFAULT_NAME = "node";

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
            case "ssr" -> SsrLinks.parse(url.substring(sep + 3));
            case "trojan" -> V2rayLinks.trojan(url);
            case "vless" -> V2rayLinks.vless(url);
            case "ss" -> SsLinks.parse(url);
            case "http", "https", "socks5", "socks5h" -> PlainProxyLinks.parse(scheme, url);
            default -> throw invalid("scheme " + safe(scheme) + " is not supported (ssr, trojan, vless, ss, http, https, socks5)");
        };
    }
}
