package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The contract's proxy order, one test per branch and per precedence between neighbours. */
class ProxyPlanTest {

    static final String SUB = "https://sub.example.com/link/Tok3nTok3n?clash=1";
    static final String RAW = ClashConfigBuilderTest.RAW;
    static final Map<String, Object> PLAIN = Map.of("protocol", "socks5", "server", "10.1.1.1", "port", 1080,
            "username", "sam", "password", "s0cks/pw");
    static final Map<String, Object> NODE = Map.of("nodeUrl", ClashConfigBuilderTest.TROJAN_WS);
    static final Map<String, Object> TROJAN_FIELDS = Map.of("protocol", "trojan", "server", "t.example.com",
            "port", 443, "password", "tr-fields-pw");
    static final String DEFAULT_PROXY = "http://dflt:dflt-pw@proxy.internal:3128";

    static DownloadOptions options(Map<String, Object> proxy, String defaultProxyUrl) {
        Map<String, Object> m = new HashMap<>();
        m.put("url", "https://www.youtube.com/watch?v=x");
        if (proxy != null) {
            m.put("proxy", proxy);
        }
        if (defaultProxyUrl != null) {
            m.put("defaultProxyUrl", defaultProxyUrl);
        }
        return DownloadOptions.parse(m);
    }

    static ProxySettings env(String sub, String raw) {
        return new ProxySettings(sub, raw, null, 7890, 7891, null);
    }

    @Test
    void nodeUrlGoesThroughMihomo() {
        ProxyPlan plan = ProxyPlan.resolve(options(NODE, DEFAULT_PROXY), env(SUB, RAW));
        assertEquals(ProxyPlan.Kind.MIHOMO, plan.kind());
        assertEquals(ProxyPlan.Source.JOB_NODE_URL, plan.source());
        assertTrue(plan.needsMihomo());
        assertEquals("http://127.0.0.1:7890", plan.ytDlpProxyUrl().orElseThrow());
        Map<String, Object> config = plan.clashConfig().orElseThrow();
        Map<?, ?> entry = (Map<?, ?>) ((List<?>) config.get("proxies")).get(0);
        assertEquals("trojan", entry.get("type"));
        assertEquals("tr0jan@pass", entry.get("password"));
        assertTrue(plan.clashConfigYaml().orElseThrow().contains("trojan.example.com"));
    }

    @Test
    void serverCredentialsOfAClashProtocolGoThroughMihomo() {
        ProxyPlan plan = ProxyPlan.resolve(options(TROJAN_FIELDS, DEFAULT_PROXY), env(SUB, RAW));
        assertEquals(ProxyPlan.Source.JOB_SERVER, plan.source());
        assertEquals("http://127.0.0.1:7890", plan.ytDlpProxyUrl().orElseThrow());
        Map<?, ?> entry = (Map<?, ?>) ((List<?>) plan.clashConfig().orElseThrow().get("proxies")).get(0);
        assertEquals(Map.of("name", "node", "type", "trojan", "server", "t.example.com", "port", 443,
                "password", "tr-fields-pw", "udp", true), entry);
    }

    @Test
    void subscriptionComesNextAndBeatsAPlainJobProxyAndTheRawConfig() {
        ProxyPlan plan = ProxyPlan.resolve(options(PLAIN, DEFAULT_PROXY), env(SUB, RAW));
        assertEquals(ProxyPlan.Source.CLASH_SUBSCRIPTION, plan.source());
        assertEquals("http://127.0.0.1:7890", plan.ytDlpProxyUrl().orElseThrow());
        Map<?, ?> providers = (Map<?, ?>) plan.clashConfig().orElseThrow().get("proxy-providers");
        assertEquals(SUB, ((Map<?, ?>) providers.get("subscription")).get("url"));
    }

    @Test
    void rawConfigWhenThereIsNoSubscription() {
        ProxyPlan plan = ProxyPlan.resolve(options(PLAIN, DEFAULT_PROXY), env(null, RAW));
        assertEquals(ProxyPlan.Source.CLASH_RAW_CONFIG, plan.source());
        assertEquals("http://127.0.0.1:7890", plan.ytDlpProxyUrl().orElseThrow());
        Map<String, Object> config = plan.clashConfig().orElseThrow();
        assertEquals(7890, config.get("port"));
        assertEquals("raw-ss", ((Map<?, ?>) ((List<?>) config.get("proxies")).get(0)).get("name"));
    }

    @Test
    void plainJobProxyGoesToYtDlpWithEncodedCredentials() {
        ProxyPlan plan = ProxyPlan.resolve(options(PLAIN, DEFAULT_PROXY), env(null, null));
        assertEquals(ProxyPlan.Kind.YTDLP_PROXY, plan.kind());
        assertEquals(ProxyPlan.Source.JOB_PLAIN_PROXY, plan.source());
        assertFalse(plan.needsMihomo());
        assertTrue(plan.clashConfig().isEmpty());
        assertEquals("socks5://sam:s0cks%2Fpw@10.1.1.1:1080", plan.ytDlpProxyUrl().orElseThrow());
    }

    @Test
    void plainProxiesWithoutCredentialsAndWithIpv6() {
        ProxyPlan a = ProxyPlan.resolve(options(Map.of("server", "proxy.lan", "port", "8080"), null), env(null, null));
        assertEquals("http://proxy.lan:8080", a.ytDlpProxyUrl().orElseThrow(), "protocol defaults to http");
        ProxyPlan b = ProxyPlan.resolve(options(Map.of("protocol", "https", "server", "[2001:db8::5]", "port", 443,
                "username", "only-user"), null), env(null, null));
        assertEquals("https://only-user@[2001:db8::5]:443", b.ytDlpProxyUrl().orElseThrow());
    }

    @Test
    void defaultProxyUrlWhenNothingElse() {
        ProxyPlan plan = ProxyPlan.resolve(options(null, DEFAULT_PROXY), env(null, null));
        assertEquals(ProxyPlan.Kind.YTDLP_PROXY, plan.kind());
        assertEquals(ProxyPlan.Source.DEFAULT_PROXY_URL, plan.source());
        assertEquals(DEFAULT_PROXY, plan.ytDlpProxyUrl().orElseThrow());
    }

    @Test
    void noneWhenNothingIsConfigured() {
        ProxyPlan plan = ProxyPlan.resolve(options(null, null), env(null, null));
        assertEquals(ProxyPlan.Kind.NONE, plan.kind());
        assertEquals(ProxyPlan.Source.NONE, plan.source());
        assertTrue(plan.ytDlpProxyUrl().isEmpty());
        assertTrue(plan.clashConfig().isEmpty());
        assertTrue(plan.clashConfigYaml().isEmpty());
    }

    @Test
    void theLocalPortFollowsTheSettings() {
        ProxyPlan plan = ProxyPlan.resolve(options(NODE, null), env(null, null).withPorts(20001, 20002));
        assertEquals("http://127.0.0.1:20001", plan.ytDlpProxyUrl().orElseThrow());
        assertEquals(20001, plan.clashConfig().orElseThrow().get("port"));
        assertEquals(20002, plan.clashConfig().orElseThrow().get("socks-port"));
    }

    @Test
    void clashModeFromTheEnvironmentIsUsed() {
        ProxySettings s = ProxySettings.fromEnv(Map.of("CLASH_MODE", "Global"));
        assertEquals("global", ProxyPlan.resolve(options(NODE, null), s).clashConfig().orElseThrow().get("mode"));
        assertEquals("rule", ProxyPlan.resolve(options(NODE, null), ProxySettings.defaults()).clashConfig().orElseThrow().get("mode"));
    }

    @Test
    void environmentIsValidatedNamingTheVariable() {
        assertEquals(ProxySettings.defaults(), ProxySettings.fromEnv(Map.of()));
        ProxySettings s = ProxySettings.fromEnv(Map.of("MIHOMO_PORT", "17890", "MIHOMO_SOCKS_PORT", "17891",
                "MIHOMO_BIN", "/opt/mihomo/mihomo", "CLASH_MODE", "Rule"));
        assertEquals(17890, s.mihomoPort());
        assertEquals("/opt/mihomo/mihomo", s.mihomoBin());
        assertEquals("rule", s.clashMode());
        Map<String, String> bad = Map.of(
                "MIHOMO_PORT", "abc",
                "MIHOMO_SOCKS_PORT", "70000",
                "CLASH_MODE", "fast",
                "CLASH_SUBSCRIPTION_URL", "sub.example.com/token",
                "CLASH_RAW_CONFIG", "proxies: [");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                    () -> ProxySettings.fromEnv(Map.of(e.getKey(), e.getValue())), e.getKey());
            assertTrue(ex.getMessage().startsWith(e.getKey()), ex.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> ProxySettings.fromEnv(Map.of("MIHOMO_PORT", "7000", "MIHOMO_SOCKS_PORT", "7000")));
    }
}
