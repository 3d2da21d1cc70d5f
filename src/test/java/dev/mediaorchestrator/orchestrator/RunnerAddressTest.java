package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Cidr;
import dev.mediaorchestrator.runner.AdvertisedUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The address a runner reports for itself ({@code runnerUrl}) is the runner's word: the orchestrator
 * probes and cancels there only when it names what the deployment already lets it reach as that
 * engine's runner (issue 29; README, "Runner addresses").
 */
class RunnerAddressTest {
    private static RunnerAddress address(String... env) {
        Map<String, String> m = new HashMap<>();
        m.put("ROLES", "orchestrator");
        m.put("CONTAINER_BASE_URL", "http://burner-ffmpeg:8080");
        m.put("CONTAINER_BASE_URL_DOWNLOADER", "http://media-downloader:8100");
        for (int i = 0; i < env.length; i += 2) {
            m.put(env[i], env[i + 1]);
        }
        return new RunnerAddress(Config.fromEnv(m));
    }

    @Test
    void aPodAddressOnItsServicesPortIsUsed() {
        RunnerAddress a = address();
        assertEquals("http://10.1.2.3:8080", a.usable(Engine.BURNER, "http://10.1.2.3:8080"));
        assertEquals("http://10.1.2.3:8080", a.usable(Engine.BURNER, "http://10.1.2.3:8080/"));
        assertEquals("http://10.1.2.3:8100", a.usable(Engine.DOWNLOADER, "http://10.1.2.3:8100"));
        assertEquals("http://172.18.0.5:8080", a.usable(Engine.BURNER, "http://172.18.0.5:8080"), "compose's network");
        assertEquals("http://100.64.3.4:8080", a.usable(Engine.BURNER, "http://100.64.3.4:8080"), "a CGNAT pod network");
        assertEquals("http://[fd00::12]:8080", a.usable(Engine.BURNER, "http://[fd00::12]:8080"));
        assertEquals("http://127.0.0.2:8080", a.usable(Engine.BURNER, "http://127.0.0.2:8080"));
        assertNull(a.usable(Engine.BURNER, null), "nothing reported");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "http://10.1.2.3:8100",              // another port: not this engine's runners
            "https://10.1.2.3:8080",             // another scheme
            "http://10.1.2.3:8080/admin",        // another path
            "http://10.1.2.3:8080/?x=1",         // a query
            "http://user:pw@10.1.2.3:8080",      // user info
            "http://10.1.2.3:8080#f",            // a fragment
            "http://burner-ffmpeg-0:8080",       // a name: resolved later, perhaps elsewhere
            "http://169.254.169.254:8080",       // link-local: cloud metadata
            "http://0.0.0.0:8080",               // unspecified
            "http://224.0.0.1:8080",             // multicast
            "http://8.8.8.8:8080",               // public: not in the default ranges
            "http://[fe80::1]:8080",             // IPv6 link-local
            "http://10.1.2:8080",                // an abbreviated form
            "ftp://10.1.2.3:8080",
            "not a url",
            "",
    })
    void anythingElseIsNotUsed(String reported) {
        RunnerAddress.Checked c = address().check(Engine.BURNER, reported);
        assertNull(c.url(), reported);
        assertTrue(c.refusal() != null && !c.refusal().isBlank(), reported);
    }

    @Test
    void theRangesAreTheDeploymentsToChoose() {
        RunnerAddress pods = address("RUNNER_ADDRESS_CIDRS", "10.244.0.0/16");
        assertEquals("http://10.244.1.7:8080", pods.usable(Engine.BURNER, "http://10.244.1.7:8080"));
        assertNull(pods.usable(Engine.BURNER, "http://10.1.2.3:8080"), "outside the pod network");
        assertNull(address("RUNNER_ADDRESS_CIDRS", "none").usable(Engine.BURNER, "http://10.1.2.3:8080"), "none: never");
        assertNull(address("RUNNER_ADDRESS_CIDRS", "0.0.0.0/0").usable(Engine.BURNER, "http://169.254.169.254:8080"),
                "link-local never, whatever the ranges");
        assertEquals("http://10.1.2.3:8080", address().usable(Engine.REMOTION, "http://10.1.2.3:8080"),
                "remotion's runner URL falls back to the burner's (CONTRACT.md)");
    }

    @Test
    void inOneProcessTheRunnersPathIsPartOfTheAddress() {
        RunnerAddress allInOne = new RunnerAddress(Config.fromEnv(Map.of("PORT", "8787")));
        assertEquals("http://127.0.0.1:8787/runners/burner-ffmpeg",
                allInOne.usable(Engine.BURNER, "http://127.0.0.1:8787/runners/burner-ffmpeg"));
        assertNull(allInOne.usable(Engine.BURNER, "http://127.0.0.1:8787/runners/media-downloader"));
    }

    @Test
    void rangesReadLiteralsOnly() {
        assertTrue(Cidr.parse("10.0.0.0/8").contains(Cidr.literal("10.255.0.1")));
        assertFalse(Cidr.parse("10.0.0.0/8").contains(Cidr.literal("11.0.0.1")));
        assertTrue(Cidr.parse("172.16.0.0/12").contains(Cidr.literal("172.31.255.255")));
        assertFalse(Cidr.parse("172.16.0.0/12").contains(Cidr.literal("172.32.0.0")));
        assertTrue(Cidr.parse("fc00::/7").contains(Cidr.literal("[fd12::1]")));
        assertFalse(Cidr.parse("fc00::/7").contains(Cidr.literal("10.0.0.1")), "another family");
        assertTrue(Cidr.parse("192.168.1.5").contains(Cidr.literal("192.168.1.5")), "one address");
        assertNull(Cidr.literal("localhost"), "a name is not resolved");
        assertNull(Cidr.literal("fe80::1%eth0"), "no zone ids");
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/40"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("example.com/8"));
    }

    @Test
    void aRunnerToldItsAddressAdvertisesItElseTheOneItListensOn() {
        assertEquals(URI.create("http://10.1.2.3:8080"), AdvertisedUrl.of(URI.create("http://10.1.2.3:8080/"), "0.0.0.0", 8080, ""));
        assertEquals(URI.create("http://10.1.2.3:8787/runners/burner-ffmpeg"),
                AdvertisedUrl.of(URI.create("http://10.1.2.3:8787"), "0.0.0.0", 8787, "/runners/burner-ffmpeg"));
        assertEquals(URI.create("http://127.0.0.1:8787/runners/media-downloader"),
                AdvertisedUrl.of(null, "127.0.0.1", 8787, "/runners/media-downloader"));
        assertEquals(URI.create("http://127.0.0.1:8080"), AdvertisedUrl.of(null, "localhost", 8080, ""));
        assertEquals(URI.create("http://[fd00::5]:8080"), AdvertisedUrl.of(null, "fd00::5", 8080, ""));
    }
}
