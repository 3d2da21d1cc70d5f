package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DownloadOptionsTest {

    @Test
    void defaultsWhenOnlyTheUrlIsGiven() {
        DownloadOptions o = DownloadOptions.parse(Map.of("url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"));
        assertEquals("https://www.youtube.com/watch?v=dQw4w9WgXcQ", o.url());
        assertEquals(Quality.P1080, o.quality());
        assertEquals("youtube", o.source());
        assertFalse(o.sourceGiven());
        assertTrue(o.proxy().isEmpty());
        assertTrue(o.defaultProxyUrl().isEmpty());
    }

    @ParameterizedTest
    @CsvSource({"720p,P720", "1080p,P1080", "720P,P720", " 1080p ,P1080", "'',P1080"})
    void parsesTheQuality(String value, Quality expected) {
        assertEquals(expected, DownloadOptions.parse(Map.of("url", "https://a.example/v", "quality", value)).quality());
    }

    @ParameterizedTest
    @ValueSource(strings = {"480p", "4k", "1080", "best"})
    void rejectsOtherQualitiesNamingTheField(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DownloadOptions.parse(Map.of("url", "https://a.example/v", "quality", value)));
        assertTrue(e.getMessage().startsWith("quality"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "ftp://example.com/a.mp4", "file:///etc/passwd", "javascript:alert(1)",
            "example.com/video", "https://", "https:///path", "https://exa mple.com/", "https://example.com/a\nb",
            "-o/tmp/x", "http://[::1/"})
    void rejectsUrlsThatAreNotHttpWithAHost(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DownloadOptions.parse(Map.of("url", url)));
        assertTrue(e.getMessage().startsWith("url"), e.getMessage());
    }

    @Test
    void rejectsAMissingUrlAndNullOptions() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DownloadOptions.parse(Map.of("quality", "720p")))
                .getMessage().startsWith("url"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DownloadOptions.parse(null))
                .getMessage().startsWith("url"));
    }

    @ParameterizedTest
    @CsvSource({
            "https://www.youtube.com/watch?v=abc,youtube",
            "https://m.youtube.com/shorts/abc,youtube",
            "https://youtu.be/abc,youtube",
            "https://www.tiktok.com/@user/video/123,tiktok",
            "https://vm.tiktok.com/ZMabc/,tiktok",
            "https://www.bilibili.com/video/BV1xx,bilibili",
            "https://x.com/user/status/1,twitter",
            "https://vimeo.com/123,vimeo",
            "http://127.0.0.1:8080/clip.mp4,generic",
            "https://notyoutube.com/watch,generic",
            "https://[::1]:8080/clip.mp4,generic",
    })
    void derivesTheSourceFromTheHost(String url, String source) {
        assertEquals(source, DownloadOptions.parse(Map.of("url", url)).source());
    }

    @Test
    void aGivenSourceWinsAndIsTrimmed() {
        DownloadOptions o = DownloadOptions.parse(Map.of("url", "https://www.youtube.com/watch?v=1", "source", " tiktok "));
        assertEquals("tiktok", o.source());
        assertTrue(o.sourceGiven());
        assertThrows(IllegalArgumentException.class,
                () -> DownloadOptions.parse(Map.of("url", "https://a.example/v", "source", "a\nb")));
    }

    @Test
    void parsesAPlainProxyWithAStringPort() {
        DownloadOptions o = DownloadOptions.parse(Map.of("url", "https://a.example/v",
                "proxy", Map.of("protocol", "SOCKS", "server", "10.0.0.2", "port", "1080", "username", "u", "password", "p w")));
        ProxySpec p = o.proxy().orElseThrow();
        assertEquals("socks5", p.protocol());
        assertEquals(1080, p.port());
        assertTrue(p.isPlain());
        assertFalse(p.needsClash());
        assertEquals("socks5://u:p%20w@10.0.0.2:1080", p.toProxyUrl());
    }

    @Test
    void anEmptyProxyObjectIsNoProxy() {
        Map<String, Object> proxy = new HashMap<>();
        proxy.put("nodeUrl", "");
        proxy.put("server", null);
        assertTrue(DownloadOptions.parse(Map.of("url", "https://a.example/v", "proxy", proxy)).proxy().isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"server\":\"h\"}|proxy.port",
            "{\"server\":\"h\",\"port\":0}|proxy.port",
            "{\"server\":\"h\",\"port\":70000}|proxy.port",
            "{\"server\":\"h\",\"port\":\"x\"}|proxy.port",
            "{\"server\":\"h\",\"port\":1.5}|proxy.port",
            "{\"server\":\"h\",\"port\":1,\"protocol\":\"ftp\"}|proxy.protocol",
            "{\"server\":\"h\",\"port\":1,\"protocol\":\"ssr\"}|proxy.nodeUrl",
            "{\"server\":\"h\",\"port\":1,\"protocol\":\"vless\"}|proxy.nodeUrl",
            "{\"server\":\"h\",\"port\":1,\"protocol\":\"trojan\"}|proxy.password",
            "{\"server\":\"h\",\"port\":1,\"protocol\":\"ss\",\"password\":\"p\"}|proxy.username",
            "{\"server\":\"h/x\",\"port\":1}|proxy.server",
            "{\"port\":1}|proxy.server",
            "{\"server\":\"h\",\"port\":1,\"password\":\"p\"}|proxy.username",
            "{\"nodeUrl\":\"vmess://abc\"}|proxy.nodeUrl",
            "{\"nodeUrl\":\"trojan://host-without-password:443\"}|proxy.nodeUrl",
    })
    void rejectsABadProxyNamingTheField(String proxyJson, String field) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> proxy = new com.fasterxml.jackson.databind.ObjectMapper().readValue(proxyJson, Map.class);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DownloadOptions.parse(Map.of("url", "https://a.example/v", "proxy", proxy)));
        assertTrue(e.getMessage().startsWith(field), e.getMessage());
    }

    @Test
    void rejectsAProxyThatIsNotAnObject() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DownloadOptions.parse(Map.of("url", "https://a.example/v", "proxy", "http://h:1")))
                .getMessage().startsWith("proxy"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://proxy.local:3128", "socks5h://u:p@127.0.0.1:1080", "https://proxy.example:443/"})
    void acceptsADefaultProxyUrl(String url) {
        assertEquals(url, DownloadOptions.parse(Map.of("url", "https://a.example/v", "defaultProxyUrl", url))
                .defaultProxyUrl().orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"proxy.local:3128", "ftp://proxy.local", "trojan://pw@h:443", "http://h:1/path", "http://h :1"})
    void rejectsOtherDefaultProxyUrls(String url) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DownloadOptions.parse(Map.of("url", "https://a.example/v", "defaultProxyUrl", url)));
        assertTrue(e.getMessage().startsWith("defaultProxyUrl"), e.getMessage());
        assertFalse(e.getMessage().contains("pw@"), e.getMessage());
    }

    @Test
    void aBlankDefaultProxyUrlIsNone() {
        assertNull(DownloadOptions.parse(Map.of("url", "https://a.example/v", "defaultProxyUrl", " "))
                .defaultProxyUrl().orElse(null));
    }
}
