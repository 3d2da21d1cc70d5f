package dev.mediaorchestrator.downloader;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How one job reaches the internet, decided in the contract's order:
 * <ol>
 *   <li>per-job {@code proxy.nodeUrl} → mihomo with that node ({@link Source#JOB_NODE_URL});</li>
 *   <li>per-job {@code proxy} with server credentials of a protocol only mihomo speaks (ss, trojan) →
 *       mihomo with that server ({@link Source#JOB_SERVER});</li>
 *   <li>{@code CLASH_SUBSCRIPTION_URL} → mihomo with the subscription ({@link Source#CLASH_SUBSCRIPTION});
 *       when both it and {@code CLASH_RAW_CONFIG} are set, the subscription wins, as the contract lists it first;</li>
 *   <li>{@code CLASH_RAW_CONFIG} → mihomo with that config ({@link Source#CLASH_RAW_CONFIG});</li>
 *   <li>per-job plain {@code proxy} (http/https/socks) → {@code yt-dlp --proxy} ({@link Source#JOB_PLAIN_PROXY});</li>
 *   <li>{@code defaultProxyUrl} → {@code yt-dlp --proxy} ({@link Source#DEFAULT_PROXY_URL});</li>
 *   <li>nothing → no {@code --proxy} ({@link Source#NONE}).</li>
 * </ol>
 * For the mihomo kinds yt-dlp gets {@code http://127.0.0.1:MIHOMO_PORT}. The plan holds secrets;
 * {@link #toString()} is {@link #redacted()}, which never shows a password, uuid, token or credential URL.
 */
public final class ProxyPlan {

    public enum Kind { NONE, YTDLP_PROXY, MIHOMO }

    public enum Source { JOB_NODE_URL, JOB_SERVER, CLASH_SUBSCRIPTION, CLASH_RAW_CONFIG, JOB_PLAIN_PROXY, DEFAULT_PROXY_URL, NONE }

    private final Kind kind;
    private final Source source;
    private final String ytDlpProxyUrl;
    private final Map<String, Object> clashConfig;
    private final String description;
    private final Set<String> secrets;

    private ProxyPlan(Kind kind, Source source, String ytDlpProxyUrl, Map<String, Object> clashConfig,
                      String description, Set<String> secrets) {
        this.kind = kind;
        this.source = source;
        this.ytDlpProxyUrl = ytDlpProxyUrl;
        this.clashConfig = clashConfig == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(clashConfig));
        this.description = description;
        this.secrets = Collections.unmodifiableSet(secrets);
    }

    /** Decides the plan for a job. */
    public static ProxyPlan resolve(DownloadOptions options, ProxySettings settings) {
        ClashConfigBuilder clash = new ClashConfigBuilder(settings);
        ProxySpec proxy = options.proxy().orElse(null);
        if (proxy != null && (proxy.hasNodeUrl() || proxy.needsClash())) {
            Map<String, Object> entry = ClashConfigBuilder.proxyEntry(proxy);
            Source source = proxy.hasNodeUrl() ? Source.JOB_NODE_URL : Source.JOB_SERVER;
            String what = (proxy.hasNodeUrl() ? "job nodeUrl " : "job proxy ") + describeEntry(entry);
            return mihomo(source, clash.forProxy(entry), what, settings, ClashConfigBuilder.secretValues(entry));
        }
        if (settings.subscriptionUrl().isPresent()) {
            String url = settings.subscriptionUrl().get();
            Set<String> secrets = new LinkedHashSet<>();
            secrets.add(url);
            Urls.Parts p = Urls.split(url);
            if (p != null && p.rest() != null && p.rest().length() > 1) {
                secrets.add(p.rest());
            }
            return mihomo(Source.CLASH_SUBSCRIPTION, clash.forSubscription(url),
                    "CLASH_SUBSCRIPTION_URL " + Redactor.subscriptionUrl(url), settings, secrets);
        }
        if (settings.rawConfig().isPresent()) {
            Map<String, Object> config = clash.forRawConfig(settings.rawConfig().get());
            return mihomo(Source.CLASH_RAW_CONFIG, config, "CLASH_RAW_CONFIG", settings,
                    ClashConfigBuilder.secretValues(config));
        }
        if (proxy != null && proxy.isPlain()) {
            Set<String> secrets = new LinkedHashSet<>();
            addIfPresent(secrets, proxy.password());
            addIfPresent(secrets, proxy.username());
            String url = proxy.toProxyUrl();
            return new ProxyPlan(Kind.YTDLP_PROXY, Source.JOB_PLAIN_PROXY, url, null,
                    "yt-dlp --proxy " + Redactor.url(url) + " (job proxy)", withUrl(secrets, url));
        }
        if (options.defaultProxyUrl().isPresent()) {
            String url = options.defaultProxyUrl().get();
            Set<String> secrets = new LinkedHashSet<>();
            Urls.Parts p = Urls.split(url);
            if (p != null && p.userInfo() != null) {
                int colon = p.userInfo().indexOf(':');
                addIfPresent(secrets, Urls.decode(colon < 0 ? p.userInfo() : p.userInfo().substring(colon + 1)));
                addIfPresent(secrets, p.userInfo());
            }
            return new ProxyPlan(Kind.YTDLP_PROXY, Source.DEFAULT_PROXY_URL, url, null,
                    "yt-dlp --proxy " + Redactor.url(url) + " (defaultProxyUrl)", withUrl(secrets, url));
        }
        return new ProxyPlan(Kind.NONE, Source.NONE, null, null, "no proxy", new LinkedHashSet<>());
    }

    private static ProxyPlan mihomo(Source source, Map<String, Object> config, String what, ProxySettings settings,
                                    Iterable<String> secretValues) {
        Set<String> secrets = new LinkedHashSet<>();
        for (String s : secretValues) {
            addIfPresent(secrets, s);
        }
        String local = settings.mihomoProxyUrl();
        return new ProxyPlan(Kind.MIHOMO, source, local, config,
                "mihomo via " + what + ", mode " + config.get("mode") + ", yt-dlp --proxy " + local, secrets);
    }

    /** {@code trojan example.com:443 ws} style summary, without credentials. */
    private static String describeEntry(Map<String, Object> entry) {
        StringBuilder sb = new StringBuilder().append(entry.get("type")).append(' ');
        String server = String.valueOf(entry.get("server"));
        sb.append(server.contains(":") ? "[" + server + "]" : server).append(':').append(entry.get("port"));
        if (entry.get("network") != null) {
            sb.append(' ').append(entry.get("network"));
        }
        if (entry.get("reality-opts") != null) {
            sb.append(" reality");
        } else if (Boolean.TRUE.equals(entry.get("tls"))) {
            sb.append(" tls");
        }
        return sb.toString();
    }

    private static Set<String> withUrl(Set<String> secrets, String url) {
        if (!Redactor.url(url).equals(url)) {
            secrets.add(url);
        }
        return secrets;
    }

    private static void addIfPresent(Set<String> set, String s) {
        if (s != null && !s.isEmpty()) {
            set.add(s);
        }
    }

    public Kind kind() {
        return kind;
    }

    public Source source() {
        return source;
    }

    public boolean needsMihomo() {
        return kind == Kind.MIHOMO;
    }

    /**
     * The value for {@code yt-dlp --proxy}: the plain proxy URL, or {@code http://127.0.0.1:MIHOMO_PORT}
     * when mihomo runs; empty for {@link Kind#NONE}. It may hold credentials: do not log it, log {@link #redacted()}.
     */
    public Optional<String> ytDlpProxyUrl() {
        return Optional.ofNullable(ytDlpProxyUrl);
    }

    /** The mihomo configuration (unmodifiable at the top level); empty unless {@link #needsMihomo()}. */
    public Optional<Map<String, Object>> clashConfig() {
        return Optional.ofNullable(clashConfig);
    }

    /** The mihomo configuration as YAML, to write to the job's mihomo directory. */
    public Optional<String> clashConfigYaml() {
        return clashConfig().map(ClashConfigBuilder::toYaml);
    }

    /** The secret strings of this plan, for {@link Redactor#scrub(String, Collection)} of process output. */
    public Set<String> secrets() {
        return secrets;
    }

    /** A one-line description for logs: kind, source, server, local port; no credentials. */
    public String redacted() {
        return description;
    }

    @Override
    public String toString() {
        return "ProxyPlan{" + source + ": " + redacted() + "}";
    }
}
