package dev.mediaorchestrator.downloader;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrivateNetworksTest {
    /** A resolver that knows two names: one pointing into 10/8, one public; nothing else resolves. */
    private static final PrivateNetworks.Resolver DNS = host -> switch (host) {
        case "internal.example" -> new InetAddress[]{InetAddress.getByName("93.184.216.34"), InetAddress.getByName("10.1.2.3")};
        case "public.example" -> new InetAddress[]{InetAddress.getByName("93.184.216.34"), InetAddress.getByName("2606:2800:220:1::1")};
        default -> throw new UnknownHostException(host);
    };

    @ParameterizedTest
    @ValueSource(strings = {
            "http://127.0.0.1/", "http://127.1:8080/x", "http://2130706433/", "http://0x7f.1/", "http://0x7f000001/",
            "http://017700000001/", "http://0177.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
            "http://10.0.0.5/", "http://172.16.3.4/", "http://172.31.255.255/", "http://192.168.1.1/", "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://[fd00::1]/", "http://[fc00::1]/",
            "http://224.0.0.1/", "http://[ff02::1]/", "http://0.0.0.0/", "http://0/", "http://[::]/", "http://255.255.255.255/",
            "http://[64:ff9b::a00:1]/", "http://[2002:7f00:1::]/", "http://[::127.0.0.1]/", "http://internal.example/v",
            "https://INTERNAL.EXAMPLE./v", "http://user:pw@127.0.0.1/", "http://%31%32%37.0.0.1/", "http://198.18.0.1/"})
    void privateAddressesAreRefused(String url) {
        Optional<String> refusal = PrivateNetworks.refusal(url, DNS);
        assertTrue(refusal.isPresent(), url);
        assertTrue(refusal.get().startsWith("url is refused: its host is "), refusal.get());
        assertTrue(refusal.get().contains("DOWNLOADER_ALLOW_PRIVATE_NETWORKS"), refusal.get());
        assertTrue(!refusal.get().contains("pw"), "no credential in the error");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://public.example/watch?v=1", "http://93.184.216.34/", "http://[2606:2800:220:1::1]/",
            "https://unknown.example/", "http://172.32.0.1/", "http://100.128.0.1/", "http://8.8.8.8/", "http://1.1.1.1./"})
    void publicOrUnresolvableAddressesPass(String url) {
        assertEquals(Optional.empty(), PrivateNetworks.refusal(url, DNS), url);
    }

    @Test
    void numericHostsAreReadAsTheCLibraryReadsThem() {
        assertArrayEquals(new byte[]{127, 0, 0, 1}, PrivateNetworks.inetAton("2130706433"));
        assertArrayEquals(new byte[]{127, 0, 0, 1}, PrivateNetworks.inetAton("0x7f.1"));
        assertArrayEquals(new byte[]{127, 0, 0, 1}, PrivateNetworks.inetAton("127.0.1"));
        assertArrayEquals(new byte[]{10, 0, 0, 8}, PrivateNetworks.inetAton("012.0.0.010"));
        assertNull(PrivateNetworks.inetAton("1.2.3.4.5"));
        assertNull(PrivateNetworks.inetAton("256.1.1.1"));
        assertNull(PrivateNetworks.inetAton("08.1.1.1"), "8 is not an octal digit");
        assertNull(PrivateNetworks.inetAton("example.com"));
        assertNull(PrivateNetworks.inetAton("1.2.3.4294967296"));
    }

    @Test
    void theRefusalNamesTheAddressAndItsKind() {
        assertEquals(Optional.of("url is refused: its host is a name for 10.1.2.3, a private address; downloads from private networks"
                        + " are off (DOWNLOADER_ALLOW_PRIVATE_NETWORKS=true turns them on)"),
                PrivateNetworks.refusal("http://internal.example/", DNS));
        assertTrue(PrivateNetworks.refusal("http://169.254.169.254/", DNS).orElseThrow().contains("169.254.169.254, a link-local address"));
    }
}
