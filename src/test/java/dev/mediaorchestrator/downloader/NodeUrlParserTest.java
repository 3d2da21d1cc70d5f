package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeUrlParserTest {

    static String b64url(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void ssrWithPaddedStandardBase64AnIpv6ServerAndNoParameters() {
        String body = "2001:db8::10:443:origin:chacha20-ietf:plain:"
                + Base64.getEncoder().encodeToString("pw".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> e = NodeUrlParser.parse("ssr://" + Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals("2001:db8::10", e.get("server"));
        assertEquals(443, e.get("port"));
        assertEquals("origin", e.get("protocol"));
        assertEquals("chacha20-ietf", e.get("cipher"));
        assertEquals("plain", e.get("obfs"));
        assertEquals("pw", e.get("password"));
        assertEquals(NodeUrlParser.DEFAULT_NAME, e.get("name"));
        assertFalse(e.containsKey("obfs-param"));
        assertFalse(e.containsKey("protocol-param"));
    }

    @Test
    void ssrWithAQueryWithoutTheSlash() {
        String body = "h.example.com:1:origin:none:plain:" + b64url("pw") + "?remarks=" + b64url("名字");
        Map<String, Object> e = NodeUrlParser.parse("ssr://" + b64url(body));
        assertEquals("名字", e.get("name"));
        assertEquals("none", e.get("cipher"));
    }

    @Test
    void trojanDefaultsToTcpAndKeepsAPlusInThePassword() {
        Map<String, Object> e = NodeUrlParser.parse("trojan://a+b%2Fc@[2001:db8::2]:443");
        assertEquals("a+b/c", e.get("password"));
        assertEquals("2001:db8::2", e.get("server"));
        assertEquals("tcp", e.get("network"));
        assertNull(e.get("sni"));
        assertEquals("node", e.get("name"));
    }

    @Test
    void trojanWithRealityAndPeerAsSni() {
        Map<String, Object> e = NodeUrlParser.parse("trojan://pw@h.example.com:443?security=reality&peer=p.example.com&pbk=KEY&sid=ab");
        assertEquals("p.example.com", e.get("sni"));
        assertEquals(Map.of("public-key", "KEY", "short-id", "ab"), e.get("reality-opts"));
        assertEquals("chrome", e.get("client-fingerprint"));
    }

    @Test
    void vlessHttpUpgradeIsWebSocketWithTheUpgradeFlag() {
        Map<String, Object> e = NodeUrlParser.parse("vless://id@h.example.com:443?security=tls&type=httpupgrade&path=/u");
        assertEquals("ws", e.get("network"));
        assertEquals(Map.of("path", "/u", "v2ray-http-upgrade", true), e.get("ws-opts"));
        assertEquals(true, e.get("tls"));
    }

    @Test
    void vlessGrpcWithoutServiceNameAndRealityWithoutFingerprint() {
        Map<String, Object> e = NodeUrlParser.parse("vless://id@h.example.com:443?security=reality&pbk=K&type=grpc");
        assertEquals(Map.of("grpc-service-name", ""), e.get("grpc-opts"));
        assertEquals(Map.of("public-key", "K"), e.get("reality-opts"));
        assertEquals("chrome", e.get("client-fingerprint"), "reality needs a uTLS fingerprint; chrome when absent");
    }

    @Test
    void vlessWithAnEncryptionOtherThanNoneKeepsIt() {
        Map<String, Object> e = NodeUrlParser.parse("vless://id@h.example.com:443?encryption=mlkem768x25519plus.native.0rtt.KEY");
        assertEquals("mlkem768x25519plus.native.0rtt.KEY", e.get("encryption"));
    }

    @Test
    void shadowsocksSip002Base64AndPlainUserInfoAndLegacy() {
        Map<String, Object> a = NodeUrlParser.parse("ss://" + b64url("aes-256-gcm:pa:ss") + "@ss.example.com:8388#SS%201");
        assertEquals(List.of("ss", "ss.example.com", 8388, "aes-256-gcm", "pa:ss", "SS 1"),
                List.of(a.get("type"), a.get("server"), a.get("port"), a.get("cipher"), a.get("password"), a.get("name")));

        Map<String, Object> b = NodeUrlParser.parse("ss://2022-blake3-aes-128-gcm:YctPZ6U7xPPcU%2Bgp3u%2B0tx%2FtRizJN9K8y%2BuKlW2qjlI%3D@[::1]:9000/");
        assertEquals("2022-blake3-aes-128-gcm", b.get("cipher"));
        assertEquals("YctPZ6U7xPPcU+gp3u+0tx/tRizJN9K8y+uKlW2qjlI=", b.get("password"));
        assertEquals("::1", b.get("server"));

        Map<String, Object> c = NodeUrlParser.parse("ss://" + Base64.getEncoder().encodeToString(
                "chacha20-ietf-poly1305:p@w@legacy.example.com:443".getBytes(StandardCharsets.UTF_8)) + "#legacy");
        assertEquals("p@w", c.get("password"));
        assertEquals("legacy.example.com", c.get("server"));
        assertEquals(443, c.get("port"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "no-scheme", "vmess://eyJhZGQiOiJ4In0=", "hysteria2://pw@h:443", "socks4://h:1080",
            "trojan://h.example.com:443", "trojan://pw@h.example.com", "trojan://pw@h.example.com:0",
            "trojan://pw@h.example.com:443?type=kcp", "trojan://pw@h.example.com:443?type=tcp&headerType=http",
            "vless://id@h.example.com:443?security=xtls", "vless://id@h.example.com:443?security=reality&sid=1",
            "ssr://!!!notbase64", "ssr://" + "aDoxOm9yaWdpbg", "ss://bm9jb2xvbg@h:1", "ss://YWVzOnB3@h:1?plugin=obfs-local",
            "http://u:p@h.example.com:8080/path", "http://h.example.com",
    })
    void rejectsBadLinksNamingTheFieldWithoutQuotingThem(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeUrlParser.parse(url));
        assertTrue(e.getMessage().startsWith("proxy.nodeUrl"), e.getMessage());
        if (!url.isEmpty()) {
            assertFalse(e.getMessage().contains(url), e.getMessage());
        }
        assertFalse(e.getMessage().contains("pw@"), e.getMessage());
    }
}
