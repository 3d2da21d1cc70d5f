package dev.mediaorchestrator.downloader;

import java.util.Arrays;
import java.util.Map;

import static dev.mediaorchestrator.downloader.ShareLinks.base64;
import static dev.mediaorchestrator.downloader.ShareLinks.entry;
import static dev.mediaorchestrator.downloader.ShareLinks.invalid;
import static dev.mediaorchestrator.downloader.ShareLinks.port;
import static dev.mediaorchestrator.downloader.ShareLinks.putIfText;
import static dev.mediaorchestrator.downloader.ShareLinks.stripFragment;

/**
 * {@code ssr://BASE64(server:port:protocol:method:obfs:BASE64(password)/?obfsparam=B64&protoparam=B64&remarks=B64)}
 * → {@code type: ssr, cipher, password, protocol, obfs, protocol-param, obfs-param, udp}; the
 * entry's name is {@code remarks}.
 */
final class SsrLinks {
    private SsrLinks() {
    }

    static Map<String, Object> parse(String body) {
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
}
