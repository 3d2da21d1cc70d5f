package dev.mediaorchestrator.downloader;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The runner's proxy environment: {@code CLASH_SUBSCRIPTION_URL}, {@code CLASH_RAW_CONFIG},
 * {@code CLASH_MODE} (default {@code rule}; mihomo takes it case-insensitively, so the seed's
 * {@code Rule} is accepted), {@code MIHOMO_PORT} (7890, mihomo's HTTP port and the one yt-dlp uses),
 * {@code MIHOMO_SOCKS_PORT} (7891) and {@code MIHOMO_BIN} (default {@code mihomo}, looked up on PATH).
 *
 * <p>{@link #fromEnv(Map)} validates at startup: a malformed value is an {@link IllegalArgumentException}
 * naming the variable (and never its secret value). Whether the mihomo binary exists is checked only
 * when a job needs it ({@link MihomoSupport#requireBinary(String)}).
 *
 * @param clashSubscriptionUrl null when unset
 * @param clashRawConfig       YAML text (or base64 of it) or null when unset
 * @param clashMode            {@code rule}, {@code global} or {@code direct}; null when unset
 */
public record ProxySettings(String clashSubscriptionUrl, String clashRawConfig, String clashMode,
                            int mihomoPort, int mihomoSocksPort, String mihomoBin) {

    public static final int DEFAULT_MIHOMO_PORT = 7890;
    public static final int DEFAULT_MIHOMO_SOCKS_PORT = 7891;
    public static final String DEFAULT_MIHOMO_BIN = "mihomo";
    public static final String DEFAULT_MODE = "rule";
    static final Set<String> MODES = Set.of("rule", "global", "direct");

    public ProxySettings {
        if (clashSubscriptionUrl != null && clashSubscriptionUrl.isBlank()) {
            clashSubscriptionUrl = null;
        }
        if (clashSubscriptionUrl != null) {
            clashSubscriptionUrl = clashSubscriptionUrl.trim();
            Urls.Parts p = Urls.split(clashSubscriptionUrl);
            if (p == null || Urls.hasSpaceOrControl(clashSubscriptionUrl)
                    || !(p.scheme().equals("http") || p.scheme().equals("https"))) {
                throw new IllegalArgumentException("CLASH_SUBSCRIPTION_URL must be an http or https URL with a host");
            }
        }
        if (clashRawConfig != null && clashRawConfig.isBlank()) {
            clashRawConfig = null;
        }
        if (clashMode != null && clashMode.isBlank()) {
            clashMode = null;
        }
        if (clashMode != null) {
            clashMode = clashMode.trim().toLowerCase(Locale.ROOT);
            if (!MODES.contains(clashMode)) {
                throw new IllegalArgumentException("CLASH_MODE must be Rule, Global or Direct");
            }
        }
        checkPort("MIHOMO_PORT", mihomoPort);
        checkPort("MIHOMO_SOCKS_PORT", mihomoSocksPort);
        if (mihomoPort == mihomoSocksPort) {
            throw new IllegalArgumentException("MIHOMO_SOCKS_PORT must differ from MIHOMO_PORT");
        }
        if (mihomoBin == null || mihomoBin.isBlank()) {
            mihomoBin = DEFAULT_MIHOMO_BIN;
        }
        mihomoBin = mihomoBin.trim();
        if (clashRawConfig != null) {
            ClashConfigBuilder.parseRawConfig(clashRawConfig); // fail at startup, naming CLASH_RAW_CONFIG
        }
    }

    /** No Clash configuration, default ports and binary. */
    public static ProxySettings defaults() {
        return new ProxySettings(null, null, null, DEFAULT_MIHOMO_PORT, DEFAULT_MIHOMO_SOCKS_PORT, DEFAULT_MIHOMO_BIN);
    }

    /** Reads the variables from an environment map (e.g. {@code System.getenv()}). */
    public static ProxySettings fromEnv(Map<String, String> env) {
        return new ProxySettings(
                env.get("CLASH_SUBSCRIPTION_URL"),
                env.get("CLASH_RAW_CONFIG"),
                env.get("CLASH_MODE"),
                intVar(env, "MIHOMO_PORT", DEFAULT_MIHOMO_PORT),
                intVar(env, "MIHOMO_SOCKS_PORT", DEFAULT_MIHOMO_SOCKS_PORT),
                env.get("MIHOMO_BIN"));
    }

    /** The same settings with other mihomo ports (e.g. one pair per concurrent job). */
    public ProxySettings withPorts(int httpPort, int socksPort) {
        return new ProxySettings(clashSubscriptionUrl, clashRawConfig, clashMode, httpPort, socksPort, mihomoBin);
    }

    /** {@code CLASH_MODE} as set, else {@link #DEFAULT_MODE}. */
    public String modeOrDefault() {
        return clashMode == null ? DEFAULT_MODE : clashMode;
    }

    public Optional<String> subscriptionUrl() {
        return Optional.ofNullable(clashSubscriptionUrl);
    }

    public Optional<String> rawConfig() {
        return Optional.ofNullable(clashRawConfig);
    }

    /** What yt-dlp is given when mihomo runs: {@code http://127.0.0.1:MIHOMO_PORT}. */
    public String mihomoProxyUrl() {
        return "http://127.0.0.1:" + mihomoPort;
    }

    private static void checkPort(String name, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + " must be a port number 1..65535");
        }
    }

    private static int intVar(Map<String, String> env, String name, int dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a port number 1..65535");
        }
    }

    @Override
    public String toString() {
        return "ProxySettings{subscription=" + (clashSubscriptionUrl == null ? "none" : Redactor.subscriptionUrl(clashSubscriptionUrl))
                + ", rawConfig=" + (clashRawConfig == null ? "none" : "set (" + clashRawConfig.length() + " chars)")
                + ", mode=" + modeOrDefault() + ", mihomoPort=" + mihomoPort + ", mihomoSocksPort=" + mihomoSocksPort
                + ", mihomoBin=" + mihomoBin + "}";
    }
}
