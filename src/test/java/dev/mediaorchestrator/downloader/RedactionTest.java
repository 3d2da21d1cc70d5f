package dev.mediaorchestrator.downloader;

import static dev.mediaorchestrator.downloader.ProxyPlanTest.env;
import static dev.mediaorchestrator.downloader.ProxyPlanTest.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** No plan description, toString or command description shows a password, uuid or token. */
class RedactionTest {

    static final String SSR_PASSWORD = "s3cr3t-ssr";
    static final String TROJAN_PASSWORD = "tr0jan@pass";
    static final String SUB_TOKEN = "Tok3nTok3n";

    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of("ssr node", options(Map.of("nodeUrl", ClashConfigBuilderTest.SSR), null), env(null, null),
                        List.of(SSR_PASSWORD, "1234:abcd"), "ssr ssr.example.com:8388"),
                Arguments.of("trojan ws node", options(ProxyPlanTest.NODE, null), env(null, null),
                        List.of(TROJAN_PASSWORD, "tr0jan%40pass"), "trojan trojan.example.com:443 ws"),
                Arguments.of("vless reality node", options(Map.of("nodeUrl", ClashConfigBuilderTest.VLESS_REALITY), null), env(null, null),
                        List.of(ClashConfigBuilderTest.VLESS_UUID), "vless 203.0.113.7:443 tcp reality"),
                Arguments.of("vless tls node", options(Map.of("nodeUrl", ClashConfigBuilderTest.VLESS_TLS), null), env(null, null),
                        List.of(ClashConfigBuilderTest.VLESS_UUID), "vless vless.example.com:443 tcp tls"),
                Arguments.of("trojan fields", options(ProxyPlanTest.TROJAN_FIELDS, null), env(null, null),
                        List.of("tr-fields-pw"), "trojan t.example.com:443"),
                Arguments.of("subscription", options(null, null), env(ProxyPlanTest.SUB, null),
                        List.of(SUB_TOKEN, "link/"), "https://sub.example.com/***"),
                Arguments.of("raw config", options(null, null), env(null, ClashConfigBuilderTest.RAW),
                        List.of("12345678", "controller-secret"), "CLASH_RAW_CONFIG"),
                Arguments.of("plain socks5", options(ProxyPlanTest.PLAIN, null), env(null, null),
                        List.of("s0cks/pw", "s0cks%2Fpw", "sam:"), "socks5://***@10.1.1.1:1080"),
                Arguments.of("default proxy url", options(null, ProxyPlanTest.DEFAULT_PROXY), env(null, null),
                        List.of("dflt-pw", "dflt:"), "http://***@proxy.internal:3128"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void planDescriptionsHideSecretsButSayWhereTheyGo(String name, DownloadOptions options, ProxySettings settings,
                                                      List<String> secrets, String shown) {
        ProxyPlan plan = ProxyPlan.resolve(options, settings);
        List<String> logLines = List.of(plan.redacted(), plan.toString(), options.toString(), settings.toString(),
                options.proxy().map(Object::toString).orElse(""),
                YtDlpCommand.describe(YtDlpCommand.builder(options, Path.of("/w")).proxy(plan).build()));
        for (String line : logLines) {
            for (String secret : secrets) {
                assertFalse(line.contains(secret), name + ": '" + secret + "' leaked in: " + line);
            }
        }
        assertTrue(plan.redacted().contains(shown), name + ": " + plan.redacted());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void processOutputCanBeScrubbedWithThePlansSecrets(String name, DownloadOptions options, ProxySettings settings,
                                                       List<String> secrets, String shown) {
        ProxyPlan plan = ProxyPlan.resolve(options, settings);
        String noisy = "ERROR: could not connect via " + plan.ytDlpProxyUrl().orElse("") + " using "
                + String.join(" and ", plan.secrets());
        String scrubbed = Redactor.scrub(noisy, plan.secrets());
        for (String secret : secrets) {
            if (secret.length() >= Redactor.MIN_SCRUB_LENGTH && !secret.endsWith(":") && !secret.endsWith("/")) {
                assertFalse(scrubbed.contains(secret), name + ": '" + secret + "' left in: " + scrubbed);
            }
        }
        assertFalse(plan.secrets().isEmpty(), name + " has secrets");
    }

    @Test
    void urlHelpers() {
        assertEquals("http://***@h:1", Redactor.url("http://u:p@h:1"));
        assertEquals("https://example.com/v?x=1", Redactor.url("https://example.com/v?x=1"));
        assertEquals("https://sub.example.com:8443/***", Redactor.subscriptionUrl("https://sub.example.com:8443/s/token?x=1"));
        assertEquals("***", Redactor.subscriptionUrl("not a url"));
        assertEquals("vless://***@h.example.com:443", Redactor.nodeUrl(ClashConfigBuilderTest.VLESS_TLS.replace("vless.example.com", "h.example.com")));
        assertEquals("ssr://***", Redactor.nodeUrl(ClashConfigBuilderTest.SSR));
        assertEquals("ss://***", Redactor.nodeUrl("ss://YWVzOnB3QGg6MQ#x"));
        assertEquals("socks5://10.0.0.9:1080", Redactor.nodeUrl("socks5://10.0.0.9:1080"));
        assertEquals("***", Redactor.nodeUrl("garbage"));
    }

    @Test
    void scrubMasksEncodedFormsAndLongestFirst() {
        assertEquals("a *** b *** c", Redactor.scrub("a p@ss/word b p%40ss%2Fword c", List.of("p@ss/word")));
        assertEquals("x *** y", Redactor.scrub("x secret-long y", List.of("secret", "secret-long")));
        assertEquals("abc", Redactor.scrub("abc", List.of("ab")), "too short to scrub");
    }
}
