package dev.mediaorchestrator.downloader;

import java.util.Locale;
import java.util.Map;

import static dev.mediaorchestrator.downloader.ShareLinks.base64;
import static dev.mediaorchestrator.downloader.ShareLinks.entry;
import static dev.mediaorchestrator.downloader.ShareLinks.fragment;
import static dev.mediaorchestrator.downloader.ShareLinks.invalid;
import static dev.mediaorchestrator.downloader.ShareLinks.queryOf;
import static dev.mediaorchestrator.downloader.ShareLinks.stripFragment;

/**
 * {@code ss://BASE64(method:password)@host:port#name} (SIP002, also percent-encoded user info and the
 * legacy {@code ss://BASE64(method:password@host:port)}) → {@code type: ss, cipher, password, udp};
 * plugins are refused.
 */
final class SsLinks {
    private SsLinks() {
    }

    static Map<String, Object> parse(String url) {
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
}
