package dev.mediaorchestrator.downloader;

import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns URLs and texts that may carry credentials into strings safe for logs and error messages.
 * The discipline of this package: every {@code toString()} of a type holding a secret goes
 * through here, and texts from child processes (yt-dlp, mihomo) can be passed through
 * {@link #scrub(String, Collection)} with {@link ProxyPlan#secrets()} before they are logged or sent.
 */
public final class Redactor {

    public static final String MASK = "***";
    /** Secrets shorter than this are not scrubbed from free text (it would mangle the text). */
    static final int MIN_SCRUB_LENGTH = 4;

    private static final Pattern USERINFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@");

    private Redactor() {
    }

    /** {@code scheme://user:pass@host/...} → {@code scheme://***@host/...}; other URLs unchanged. */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        Matcher m = USERINFO.matcher(url);
        return m.find() ? m.replaceFirst(Matcher.quoteReplacement(m.group(1) + MASK + "@")) : url;
    }

    /**
     * A subscription URL shows only where it points: {@code https://host[:port]/***}; its path and query
     * usually are the token.
     */
    public static String subscriptionUrl(String url) {
        Urls.Parts p = Urls.split(url);
        if (p == null) {
            return MASK;
        }
        return p.scheme() + "://" + p.hostForUrl() + (p.port() == null ? "" : ":" + p.port()) + "/" + MASK;
    }

    /**
     * A node URL shows its scheme and server only: {@code vless://***@host:443}; opaque forms
     * ({@code ssr://BASE64}, {@code ss://BASE64}) show {@code scheme://***}.
     */
    public static String nodeUrl(String nodeUrl) {
        if (nodeUrl == null) {
            return null;
        }
        int sep = nodeUrl.indexOf("://");
        if (sep <= 0) {
            return MASK;
        }
        String scheme = nodeUrl.substring(0, sep).toLowerCase(Locale.ROOT);
        Urls.Parts p = Urls.split(nodeUrl);
        boolean plain = ProxySpec.PLAIN_PROTOCOLS.contains(scheme);
        if (p == null || scheme.equals("ssr") || scheme.equals("vmess") || (p.userInfo() == null && !plain)) {
            return scheme + "://" + MASK;
        }
        return p.toString();
    }

    /**
     * Replaces every occurrence of each secret (as given and percent-encoded) with {@link #MASK}.
     * Secrets shorter than {@value #MIN_SCRUB_LENGTH} characters are skipped.
     */
    public static String scrub(String text, Collection<String> secrets) {
        if (text == null || secrets == null || secrets.isEmpty()) {
            return text;
        }
        Set<String> forms = new LinkedHashSet<>();
        for (String s : secrets) {
            if (s != null && s.length() >= MIN_SCRUB_LENGTH) {
                forms.add(s);
                forms.add(Urls.encode(s));
            }
        }
        String out = text;
        // longest first, so a secret that contains another is masked whole
        for (String s : forms.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList()) {
            out = out.replace(s, MASK);
        }
        return out;
    }
}
