package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Each configuration is written to YAML by the builder, read back with an independent snakeyaml-engine
 * {@link Load}, and compared field by field with what mihomo expects.
 */
class ClashConfigBuilderTest {

    private static final ProxySettings SETTINGS = ProxySettings.defaults();
    private final ClashConfigBuilder builder = new ClashConfigBuilder(SETTINGS);

    static final String SSR = "ssr://" + NodeUrlParserTest.b64url("ssr.example.com:8388:auth_aes128_md5:aes-256-cfb:tls1.2_ticket_auth:"
            + NodeUrlParserTest.b64url("s3cr3t-ssr") + "/?obfsparam=" + NodeUrlParserTest.b64url("cdn.example.com")
            + "&protoparam=" + NodeUrlParserTest.b64url("1234:abcd")
            + "&remarks=" + NodeUrlParserTest.b64url("HK 01") + "&group=" + NodeUrlParserTest.b64url("group"));
    static final String TROJAN_WS = "trojan://tr0jan%40pass@trojan.example.com:443?security=tls&sni=cdn.example.com"
            + "&type=ws&path=%2Fws%3Fed%3D2048&host=cdn.example.com&allowInsecure=1#Trojan%20WS";
    static final String TROJAN_GRPC = "trojan://pw-grpc-123@1.2.3.4:8443?sni=grpc.example.com&type=grpc"
            + "&serviceName=TrojanService&fp=chrome&alpn=h2,http/1.1#grpc";
    static final String VLESS_UUID = "b831381d-6324-4d53-ad4f-8cda48b30811";
    static final String VLESS_TLS = "vless://" + VLESS_UUID + "@vless.example.com:443?encryption=none&security=tls"
            + "&sni=sni.example.com&fp=firefox&type=tcp&flow=xtls-rprx-vision#VLESS%20TLS";
    static final String VLESS_REALITY = "vless://" + VLESS_UUID + "@203.0.113.7:443?encryption=none&security=reality"
            + "&sni=www.microsoft.com&fp=chrome&pbk=Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw&sid=6ba85179e30d4fc2"
            + "&type=tcp&flow=xtls-rprx-vision#reality";
    static final String VLESS_WS = "vless://" + VLESS_UUID + "@ws.example.com:80?encryption=none&security=none"
            + "&type=ws&path=%2Fvl&host=cdn.ws.example.com#ws";

    /** Writes with the builder, reads back independently. */
    private static Map<String, Object> roundTrip(Map<String, Object> config) {
        String yaml = ClashConfigBuilder.toYaml(config);
        Object loaded = new Load(LoadSettings.builder().build()).loadFromString(yaml);
        assertInstanceOf(Map.class, loaded, yaml);
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) loaded;
        return map;
    }

    /** Field by field: the same keys, and each value equal, the message naming the field. */
    static void assertFields(Map<String, ?> expected, Object actualObject, String where) {
        assertInstanceOf(Map.class, actualObject, where);
        Map<?, ?> actual = (Map<?, ?>) actualObject;
        assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(keys(actual)), where + ": keys");
        for (Map.Entry<String, ?> e : expected.entrySet()) {
            Object a = actual.get(e.getKey());
            if (e.getValue() instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, ?> sub = (Map<String, ?>) m;
                assertFields(sub, a, where + "." + e.getKey());
            } else {
                assertEquals(e.getValue(), a, where + "." + e.getKey());
            }
        }
    }

    /** An ordered map from key, value, key, value, ... */
    static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static List<String> keys(Map<?, ?> m) {
        List<String> out = new ArrayList<>();
        m.keySet().forEach(k -> out.add(String.valueOf(k)));
        return out;
    }

    /** The listener header every generated config has. */
    private static void assertHeader(Map<String, Object> c, String mode, String logLevel) {
        assertEquals(7890, c.get("port"));
        assertEquals(7891, c.get("socks-port"));
        assertEquals(false, c.get("allow-lan"));
        assertEquals("127.0.0.1", c.get("bind-address"));
        assertEquals(mode, c.get("mode"));
        assertEquals(logLevel, c.get("log-level"));
    }

    /** One proxy, one select group, MATCH rule; returns the read-back proxy entry. */
    private Map<?, ?> singleProxyConfig(Map<String, Object> entry) {
        Map<String, Object> c = roundTrip(builder.forProxy(entry));
        assertHeader(c, "rule", "warning");
        assertEquals(List.of("port", "socks-port", "allow-lan", "bind-address", "mode", "log-level", "proxies",
                "proxy-groups", "rules"), keys(c));
        List<?> proxies = (List<?>) c.get("proxies");
        assertEquals(1, proxies.size());
        Map<?, ?> p = (Map<?, ?>) proxies.get(0);
        assertFields(fields("name", "PROXY", "type", "select", "proxies", List.of(p.get("name"))),
                ((List<?>) c.get("proxy-groups")).get(0), "proxy-groups[0]");
        assertEquals(List.of("MATCH,PROXY"), c.get("rules"));
        return p;
    }

    @Test
    void ssrNode() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse(SSR));
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("name", "HK 01");
        expected.put("type", "ssr");
        expected.put("server", "ssr.example.com");
        expected.put("port", 8388);
        expected.put("cipher", "aes-256-cfb");
        expected.put("password", "s3cr3t-ssr");
        expected.put("protocol", "auth_aes128_md5");
        expected.put("obfs", "tls1.2_ticket_auth");
        expected.put("protocol-param", "1234:abcd");
        expected.put("obfs-param", "cdn.example.com");
        expected.put("udp", true);
        assertFields(expected, p, "ssr");
    }

    @Test
    void trojanOverWebSocket() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse(TROJAN_WS));
        assertFields(fields(
                "name", "Trojan WS",
                "type", "trojan",
                "server", "trojan.example.com",
                "port", 443,
                "password", "tr0jan@pass",
                "sni", "cdn.example.com",
                "skip-cert-verify", true,
                "network", "ws",
                "ws-opts", Map.of("path", "/ws?ed=2048", "headers", Map.of("Host", "cdn.example.com")),
                "udp", true), p, "trojan-ws");
    }

    @Test
    void trojanOverGrpc() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse(TROJAN_GRPC));
        assertFields(fields(
                "name", "grpc",
                "type", "trojan",
                "server", "1.2.3.4",
                "port", 8443,
                "password", "pw-grpc-123",
                "sni", "grpc.example.com",
                "client-fingerprint", "chrome",
                "alpn", List.of("h2", "http/1.1"),
                "network", "grpc",
                "grpc-opts", Map.of("grpc-service-name", "TrojanService"),
                "udp", true), p, "trojan-grpc");
    }

    @Test
    void vlessOverTls() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse(VLESS_TLS));
        assertFields(fields(
                "name", "VLESS TLS",
                "type", "vless",
                "server", "vless.example.com",
                "port", 443,
                "uuid", VLESS_UUID,
                "tls", true,
                "servername", "sni.example.com",
                "client-fingerprint", "firefox",
                "flow", "xtls-rprx-vision",
                "network", "tcp",
                "udp", true), p, "vless-tls");
    }

    @Test
    void vlessWithReality() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse(VLESS_REALITY));
        assertFields(fields(
                "name", "reality",
                "type", "vless",
                "server", "203.0.113.7",
                "port", 443,
                "uuid", VLESS_UUID,
                "tls", true,
                "servername", "www.microsoft.com",
                "client-fingerprint", "chrome",
                "reality-opts", Map.of("public-key", "Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw", "short-id", "6ba85179e30d4fc2"),
                "flow", "xtls-rprx-vision",
                "network", "tcp",
                "udp", true), p, "vless-reality");
    }

    @Test
    void vlessOverWebSocketWithoutTls() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse(VLESS_WS));
        assertFields(fields(
                "name", "ws",
                "type", "vless",
                "server", "ws.example.com",
                "port", 80,
                "uuid", VLESS_UUID,
                "network", "ws",
                "ws-opts", Map.of("path", "/vl", "headers", Map.of("Host", "cdn.ws.example.com")),
                "udp", true), p, "vless-ws");
    }

    @Test
    void httpWithCredentials() {
        ProxySpec spec = ProxySpec.parse(Map.of("protocol", "http", "server", "proxy.example.com", "port", 3128,
                "username", "alice", "password", "p@ss: #word"));
        Map<?, ?> p = singleProxyConfig(ClashConfigBuilder.proxyEntry(spec));
        assertFields(fields(
                "name", "node",
                "type", "http",
                "server", "proxy.example.com",
                "port", 3128,
                "username", "alice",
                "password", "p@ss: #word"), p, "http");

        // the same as a node URL, https this time
        Map<?, ?> q = singleProxyConfig(NodeUrlParser.parse("https://alice:p%40ss%3A%20%23word@proxy.example.com:443#corp"));
        assertFields(fields(
                "name", "corp",
                "type", "http",
                "server", "proxy.example.com",
                "port", 443,
                "username", "alice",
                "password", "p@ss: #word",
                "tls", true), q, "https");
    }

    @Test
    void socks5() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse("socks5://10.0.0.9:1080"));
        assertFields(fields("name", "node", "type", "socks5", "server", "10.0.0.9", "port", 1080, "udp", true), p, "socks5");

        ProxySpec spec = ProxySpec.parse(Map.of("protocol", "socks5h", "server", "2001:db8::1", "port", 1081,
                "username", "bob", "password", "hunter2"));
        Map<?, ?> q = singleProxyConfig(ClashConfigBuilder.proxyEntry(spec));
        assertFields(fields("name", "node", "type", "socks5", "server", "2001:db8::1", "port", 1081,
                "username", "bob", "password", "hunter2", "udp", true), q, "socks5-fields");
    }

    @Test
    void serverCredentialsForTrojanAndShadowsocks() {
        Map<?, ?> t = singleProxyConfig(ClashConfigBuilder.proxyEntry(ProxySpec.parse(
                Map.of("protocol", "trojan", "server", "t.example.com", "port", 443, "password", "pw"))));
        assertFields(fields("name", "node", "type", "trojan", "server", "t.example.com", "port", 443,
                "password", "pw", "udp", true), t, "trojan-fields");
        Map<?, ?> s = singleProxyConfig(ClashConfigBuilder.proxyEntry(ProxySpec.parse(
                Map.of("protocol", "shadowsocks", "server", "s.example.com", "port", 8388,
                        "username", "AES-256-GCM", "password", "pw"))));
        assertFields(fields("name", "node", "type", "ss", "server", "s.example.com", "port", 8388,
                "cipher", "aes-256-gcm", "password", "pw", "udp", true), s, "ss-fields");
    }

    @Test
    void subscriptionOnly() {
        String url = "https://sub.example.com/api/v1/client/subscribe?token=abcdef123456";
        Map<String, Object> c = roundTrip(builder.forSubscription(url));
        assertHeader(c, "rule", "warning");
        assertFalse(c.containsKey("proxies"), "no inline proxies");
        assertFields(fields(ClashConfigBuilder.PROVIDER, Map.of(
                "type", "http",
                "url", url,
                "path", "./providers/subscription.yaml",
                "interval", 3600,
                "health-check", Map.of("enable", true, "url", "https://www.gstatic.com/generate_204", "interval", 300))),
                c.get("proxy-providers"), "proxy-providers");
        List<?> groups = (List<?>) c.get("proxy-groups");
        assertEquals(1, groups.size());
        assertFields(fields("name", "PROXY", "type", "url-test", "use", List.of("subscription"),
                "url", "https://www.gstatic.com/generate_204", "interval", 300), groups.get(0), "proxy-groups[0]");
        assertEquals(List.of("MATCH,PROXY"), c.get("rules"));
    }

    static final String RAW = """
            mixed-port: 7777
            port: 8000
            socks-port: 8001
            redir-port: 8002
            allow-lan: true
            bind-address: '*'
            mode: Global
            log-level: debug
            external-controller: 0.0.0.0:9090
            secret: controller-secret
            authentication:
              - "user:pass"
            tun:
              enable: true
            dns:
              enable: true
              listen: 0.0.0.0:53
              nameserver:
                - 223.5.5.5
            proxies:
              - name: raw-ss
                type: ss
                server: raw.example.com
                port: 8388
                cipher: aes-128-gcm
                password: "12345678"
            proxy-groups:
              - name: Auto
                type: select
                proxies: [raw-ss]
            rules:
              - DOMAIN-SUFFIX,local,DIRECT
              - MATCH,Auto
            """;

    @Test
    void rawConfigHasItsListenersEnforced() {
        Map<String, Object> c = roundTrip(builder.forRawConfig(RAW));
        // CLASH_MODE unset: the raw config's mode, lower-cased; its log level kept
        assertHeader(c, "global", "debug");
        for (String removed : List.of("mixed-port", "redir-port", "external-controller", "authentication", "tun")) {
            assertFalse(c.containsKey(removed), removed + " removed");
        }
        assertEquals("controller-secret", c.get("secret"), "unrelated keys are kept");
        assertFields(fields("enable", true, "nameserver", List.of("223.5.5.5")), c.get("dns"), "dns (listen removed)");
        List<?> proxies = (List<?>) c.get("proxies");
        assertFields(fields("name", "raw-ss", "type", "ss", "server", "raw.example.com", "port", 8388,
                "cipher", "aes-128-gcm", "password", "12345678"), proxies.get(0), "proxies[0]");
        assertFields(fields("name", "Auto", "type", "select", "proxies", List.of("raw-ss")),
                ((List<?>) c.get("proxy-groups")).get(0), "proxy-groups[0]");
        assertEquals(List.of("DOMAIN-SUFFIX,local,DIRECT", "MATCH,Auto"), c.get("rules"));
    }

    @Test
    void rawConfigTakesClashModeAndOtherPortsFromTheSettings() {
        ProxySettings s = new ProxySettings(null, RAW, "Rule", 17890, 17891, null);
        Map<String, Object> c = roundTrip(new ClashConfigBuilder(s).forRawConfig(RAW));
        assertEquals(17890, c.get("port"));
        assertEquals(17891, c.get("socks-port"));
        assertEquals("rule", c.get("mode"));
    }

    @Test
    void rawConfigMayBeBase64() {
        String b64 = Base64.getEncoder().encodeToString(RAW.getBytes(StandardCharsets.UTF_8));
        Map<String, Object> c = roundTrip(builder.forRawConfig(b64));
        assertEquals("raw-ss", ((Map<?, ?>) ((List<?>) c.get("proxies")).get(0)).get("name"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"just a string", "- a\n- list", "proxies: []\n", "mode: rule\n", "proxies: [\n  broken",
            "key: \"password-in-here\n"})
    void rejectsUnusableRawConfigsNamingTheVariable(String raw) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> builder.forRawConfig(raw));
        assertTrue(e.getMessage().startsWith("CLASH_RAW_CONFIG"), e.getMessage());
        assertFalse(e.getMessage().contains("password-in-here"), "the YAML text is not quoted: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"123456", "yes", "no", "null", "true", "~", "0x1F", "1e3", " leading space", "a: b #c",
            "- dash", "'quoted'", "\"dq\"", "multi\nline", "中文密码", "@at", "%percent", "*star", "&amp", "!bang"})
    void stringValuesSurviveTheYamlRoundTripAsStrings(String password) {
        Map<String, Object> entry = ShareLinks.entry(null, "trojan", "t.example.com", 443);
        entry.put("password", password);
        Map<?, ?> p = singleProxyConfig(entry);
        assertEquals(password, p.get("password"));
    }

    @Test
    void socks4CannotBeAMihomoEntry() {
        ProxySpec spec = ProxySpec.parse(Map.of("protocol", "socks4", "server", "h", "port", 1));
        assertThrows(IllegalArgumentException.class, () -> ClashConfigBuilder.proxyEntry(spec));
    }

    @Test
    void aNodeNamedLikeTheGroupOrABuiltInIsRenamed() {
        Map<?, ?> p = singleProxyConfig(NodeUrlParser.parse("socks5://10.0.0.9:1080#PROXY"));
        assertEquals("node-PROXY", p.get("name"));
        Map<?, ?> q = singleProxyConfig(NodeUrlParser.parse("socks5://10.0.0.9:1080#direct"));
        assertEquals("node-direct", q.get("name"));
    }

    @Test
    void anEntryWithoutANameIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> builder.forProxy(new LinkedHashMap<>(Map.of("type", "http"))));
    }
}
