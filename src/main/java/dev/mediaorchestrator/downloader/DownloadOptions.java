package dev.mediaorchestrator.downloader;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The downloader's {@code engineOptions}: {@code url} (required, http/https), {@code quality}
 * ({@code 720p}|{@code 1080p}, default 1080p), {@code source} (free text; default derived from the
 * URL host, else {@code generic}), {@code proxy} ({@link ProxySpec}) and {@code defaultProxyUrl}
 * (a plain http/https/socks proxy URL for yt-dlp). Invalid input is an {@link IllegalArgumentException}
 * whose message starts with the field name, never echoing a credential.
 */
public final class DownloadOptions {

    static final int MAX_URL_LENGTH = 4096;
    static final int MAX_SOURCE_LENGTH = 64;

    private final String url;
    private final Quality quality;
    private final String source;
    private final boolean sourceGiven;
    private final ProxySpec proxy;
    private final String defaultProxyUrl;
    private final String cookies;
    private final DownloadExtras.Subtitles subtitles;
    private final boolean thumbnail;

    private DownloadOptions(String url, Quality quality, String source, boolean sourceGiven,
                            ProxySpec proxy, String defaultProxyUrl, Map<String, ?> extras) {
        this.url = url;
        this.quality = quality;
        this.source = source;
        this.sourceGiven = sourceGiven;
        this.proxy = proxy;
        this.defaultProxyUrl = defaultProxyUrl;
        this.cookies = DownloadExtras.cookies(extras);
        this.subtitles = DownloadExtras.subtitles(extras);
        this.thumbnail = DownloadExtras.thumbnail(extras);
    }

    /**
     * Parses and validates {@code engineOptions}.
     *
     * @throws IllegalArgumentException naming the offending field
     */
    public static DownloadOptions parse(Map<String, ?> engineOptions) {
        if (engineOptions == null) {
            throw new IllegalArgumentException("url is required");
        }
        String url = parseUrl(engineOptions.get("url"));
        Quality quality = Quality.parse(engineOptions.get("quality"));
        Object rawSource = engineOptions.get("source");
        String source = rawSource == null ? null : rawSource.toString().trim();
        boolean sourceGiven = source != null && !source.isEmpty();
        if (sourceGiven) {
            if (source.length() > MAX_SOURCE_LENGTH || source.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("source must be a short single-line name");
            }
        } else {
            source = sourceFromUrl(url);
        }
        ProxySpec proxy = ProxySpec.parse(engineOptions.get("proxy"));
        String defaultProxyUrl = parseDefaultProxyUrl(engineOptions.get("defaultProxyUrl"));
        return new DownloadOptions(url, quality, source, sourceGiven, proxy, defaultProxyUrl, engineOptions);
    }

    public String url() {
        return url;
    }

    public Quality quality() {
        return quality;
    }

    /** The given source, or the one derived from the URL host ({@code youtube}, {@code tiktok}, ..., {@code generic}). */
    public String source() {
        return source;
    }

    /** True when {@code engineOptions.source} was given (not derived). */
    public boolean sourceGiven() {
        return sourceGiven;
    }

    public Optional<ProxySpec> proxy() {
        return Optional.ofNullable(proxy);
    }

    public Optional<String> defaultProxyUrl() {
        return Optional.ofNullable(defaultProxyUrl);
    }

    /** The job's cookies.txt text (a secret), if given. */
    public Optional<String> cookies() {
        return Optional.ofNullable(cookies);
    }

    public Optional<DownloadExtras.Subtitles> subtitles() {
        return Optional.ofNullable(subtitles);
    }

    public boolean thumbnail() {
        return thumbnail;
    }

    /**
     * Maps a host to a well-known source name: youtube, tiktok, bilibili, twitter, instagram,
     * facebook, vimeo, douyin; anything else is {@code generic}.
     */
    static String sourceFromUrl(String url) {
        Urls.Parts parts = Urls.split(url);
        if (parts == null) {
            return "generic";
        }
        String host = parts.host().toLowerCase(Locale.ROOT);
        if (hostIs(host, "youtube.com") || hostIs(host, "youtu.be") || hostIs(host, "youtube-nocookie.com")) {
            return "youtube";
        }
        if (hostIs(host, "tiktok.com")) {
            return "tiktok";
        }
        if (hostIs(host, "douyin.com")) {
            return "douyin";
        }
        if (hostIs(host, "bilibili.com") || hostIs(host, "b23.tv")) {
            return "bilibili";
        }
        if (hostIs(host, "twitter.com") || hostIs(host, "x.com")) {
            return "twitter";
        }
        if (hostIs(host, "instagram.com")) {
            return "instagram";
        }
        if (hostIs(host, "facebook.com") || hostIs(host, "fb.watch")) {
            return "facebook";
        }
        if (hostIs(host, "vimeo.com")) {
            return "vimeo";
        }
        return "generic";
    }

    private static boolean hostIs(String host, String domain) {
        return host.equals(domain) || host.endsWith("." + domain);
    }

    private static String parseUrl(Object value) {
        if (value == null || value.toString().isBlank()) {
            throw new IllegalArgumentException("url is required");
        }
        String url = value.toString().trim();
        if (url.length() > MAX_URL_LENGTH) {
            throw new IllegalArgumentException("url is too long");
        }
        if (Urls.hasSpaceOrControl(url)) {
            throw new IllegalArgumentException("url must not contain spaces or control characters");
        }
        Urls.Parts parts = Urls.split(url);
        if (parts == null || !(parts.scheme().equals("http") || parts.scheme().equals("https"))) {
            throw new IllegalArgumentException("url must be an http or https URL with a host");
        }
        return url;
    }

    private static String parseDefaultProxyUrl(Object value) {
        if (value == null || value.toString().isBlank()) {
            return null;
        }
        String url = value.toString().trim();
        Urls.Parts parts = Urls.split(url);
        if (Urls.hasSpaceOrControl(url) || parts == null || !ProxySpec.PLAIN_PROTOCOLS.contains(parts.scheme())) {
            throw new IllegalArgumentException(
                    "defaultProxyUrl must be an http, https, socks4, socks4a, socks5 or socks5h URL with a host");
        }
        if (parts.rest() != null && !parts.rest().equals("/")) {
            throw new IllegalArgumentException("defaultProxyUrl must not have a path, query or fragment");
        }
        return url;
    }

    @Override
    public String toString() {
        return "DownloadOptions{url=" + Redactor.url(url) + ", quality=" + quality + ", source=" + source
                + ", proxy=" + proxy + ", defaultProxyUrl="
                + (defaultProxyUrl == null ? null : Redactor.url(defaultProxyUrl))
                + (cookies == null ? "" : ", cookies=[redacted]") + (subtitles == null ? "" : ", subtitles=" + subtitles)
                + (thumbnail ? ", thumbnail=true" : "") + "}";
    }
}
