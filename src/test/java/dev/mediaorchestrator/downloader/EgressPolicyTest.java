package dev.mediaorchestrator.downloader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code DOWNLOADER_EGRESS_ALLOW}: which non-public addresses the downloader may reach all the same. */
class EgressPolicyTest {

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void withoutAListOnlyPublicAddressesPass() throws Exception {
        EgressPolicy p = EgressPolicy.parse("");
        assertNull(p.refusedKind(ip("93.184.216.34"), 443));
        assertEquals("loopback", p.refusedKind(ip("127.0.0.1"), 80));
        assertEquals("link-local", p.refusedKind(ip("169.254.169.254"), 80));
        assertEquals("private", p.refusedKind(ip("10.1.2.3"), 80));
    }

    @Test
    void anAddressAndPortARangeAndAnIpv6AddressAreAllowedAndNothingElse() throws Exception {
        EgressPolicy p = EgressPolicy.parse(" 127.0.0.1:8080, 10.20.0.0/16 ,[::1]:9000,192.168.1.5");
        assertNull(p.refusedKind(ip("127.0.0.1"), 8080));
        assertEquals("loopback", p.refusedKind(ip("127.0.0.1"), 8081), "another port of the same address");
        assertNull(p.refusedKind(ip("10.20.255.1"), 443));
        assertEquals("private", p.refusedKind(ip("10.21.0.1"), 443));
        assertNull(p.refusedKind(ip("::1"), 9000));
        assertEquals("loopback", p.refusedKind(ip("::1"), 9001));
        assertNull(p.refusedKind(ip("192.168.1.5"), 1));
        assertEquals("private", p.refusedKind(ip("192.168.1.6"), 1));
        assertEquals("link-local", p.refusedKind(ip("169.254.169.254"), 80));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost:80", "example.com", "10.0.0.0/33", "127.0.0.1:0", "127.0.0.1:70000", "1.2.3", "::1:80:x", "*"})
    void anEntryThatIsNotAnAddressIsRefusedNamingIt(String entry) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EgressPolicy.parse("127.0.0.1:80," + entry));
        assertTrue(e.getMessage().contains("'" + entry + "'"), e.getMessage());
    }

    @Test
    void theUpFrontCheckTakesTheListIntoAccount() {
        EgressPolicy p = EgressPolicy.parse("127.0.0.1:8080");
        assertTrue(PrivateNetworks.refusal("http://127.0.0.1:8080/v", PrivateNetworks.SYSTEM, p).isEmpty());
        assertTrue(PrivateNetworks.refusal("http://127.0.0.1:8081/v", PrivateNetworks.SYSTEM, p).isPresent());
        assertTrue(PrivateNetworks.refusal("http://127.0.0.1/v", PrivateNetworks.SYSTEM, p).isPresent(), "port 80 by default");
    }
}
