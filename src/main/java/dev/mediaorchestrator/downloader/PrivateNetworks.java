package dev.mediaorchestrator.downloader;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * The downloader's guard against server-side request forgery: a {@code url} whose host is, or
 * resolves to, an address that is not on the public internet is refused before yt-dlp starts.
 * Checked on the addresses, not the text: every numeric form the C library accepts
 * ({@code 2130706433}, {@code 0x7f.1}, {@code 017700000001}), IPv6 literals with an embedded IPv4
 * address ({@code ::ffff:127.0.0.1}, NAT64, 6to4), and a DNS name with any private address among
 * its answers.
 *
 * <p>Refused: loopback, RFC 1918 private, CGNAT (100.64/10), link-local (169.254/16 with the cloud
 * metadata address, fe80::/10), unique local (fc00::/7), site-local (fec0::/10), multicast,
 * unspecified (0.0.0.0/8, ::), IETF protocol assignments (192.0.0/24), benchmarking (198.18/15) and
 * reserved/broadcast (240/4).
 */
public final class PrivateNetworks {

    /** Resolves a host name to its addresses (the system resolver; a test's stand-in). */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    public static final Resolver SYSTEM = InetAddress::getAllByName;

    private PrivateNetworks() {
    }

    /**
     * Why {@code url} must not be fetched, or empty when its host is public (or cannot be resolved
     * here: then yt-dlp cannot reach it either, or only through a proxy, and fails on its own).
     */
    public static Optional<String> refusal(String url, Resolver resolver) {
        return refusal(url, resolver, EgressPolicy.NO_EXCEPTIONS);
    }

    /** {@link #refusal(String, Resolver)} with the addresses {@code policy} allows all the same. */
    public static Optional<String> refusal(String url, Resolver resolver, EgressPolicy policy) {
        return refusal("url", url, resolver, policy);
    }

    /** {@link #refusal(String, Resolver, EgressPolicy)} of what the message calls {@code what} ("url", "the job's proxy"). */
    static Optional<String> refusal(String what, String url, Resolver resolver, EgressPolicy policy) {
        Urls.Parts parts = Urls.split(url);
        if (parts == null) {
            return Optional.of(what + " has no host");
        }
        String host = normalizeHost(parts.host());
        int port = parts.port() != null ? parts.port() : "https".equals(parts.scheme()) ? 443 : 80;
        InetAddress[] addresses;
        try {
            addresses = addresses(host, resolver);
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
        for (InetAddress a : addresses) {
            String kind = policy.refusedKind(a, port);
            if (kind != null) {
                return Optional.of(what + " is refused: its host is " + (isLiteral(host) ? "" : "a name for ")
                        + a.getHostAddress() + ", a " + kind + " address; " + OFF);
            }
        }
        return Optional.empty();
    }

    /** What every refusal ends with: why, and the setting that changes it. */
    static final String OFF = "downloads from private networks are off (DOWNLOADER_ALLOW_PRIVATE_NETWORKS=true turns them on)";

    /** A URL's host as it is looked up: percent-escapes decoded, lower case, without a trailing dot. */
    static String normalizeHost(String host) {
        String h = Urls.decode(host).toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /**
     * The addresses a (normalized) host stands for, as a client would connect: a numeric form read
     * as the C library reads it, an IPv6 literal parsed, a name looked up with {@code resolver}.
     */
    static InetAddress[] addresses(String host, Resolver resolver) throws UnknownHostException {
        byte[] numeric = inetAton(host);
        if (numeric != null) {
            return new InetAddress[]{InetAddress.getByAddress(numeric)};
        }
        if (host.contains(":")) { // an IPv6 literal: parsed, no lookup
            return new InetAddress[]{InetAddress.getByName(host)};
        }
        return resolver.resolve(host);
    }

    /** True for a numeric host (any form {@link #inetAton} reads, or an IPv6 literal): no name to look up. */
    static boolean isLiteral(String host) {
        return host.contains(":") || inetAton(host) != null;
    }

    /**
     * The IPv4 address of a numeric host as {@code inet_aton} reads it (1 to 4 parts, each
     * decimal, octal with a leading 0 or hex with 0x, the last part filling the remaining bytes);
     * null when the host is not such a number.
     */
    static byte[] inetAton(String host) {
        if (host.isEmpty() || host.contains(":")) {
            return null;
        }
        String[] parts = host.split("\\.", -1);
        if (parts.length > 4) {
            return null;
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Long v = number(parts[i]);
            if (v == null) {
                return null;
            }
            values[i] = v;
        }
        long addr = 0;
        for (int i = 0; i < values.length - 1; i++) {
            if (values[i] > 0xff) {
                return null;
            }
            addr |= values[i] << (24 - 8 * i);
        }
        long last = values[values.length - 1];
        long maxLast = 0xffffffffL >>> (8 * (values.length - 1));
        if (last > maxLast) {
            return null;
        }
        addr |= last;
        return new byte[]{(byte) (addr >>> 24), (byte) (addr >>> 16), (byte) (addr >>> 8), (byte) addr};
    }

    private static Long number(String s) {
        try {
            if (s.startsWith("0x")) {
                String hex = s.substring(2);
                return hex.isEmpty() ? 0L : hex.length() > 8 ? null : Long.parseLong(hex, 16);
            }
            if (s.isEmpty() || !s.chars().allMatch(Character::isDigit) || s.length() > 12) {
                return null;
            }
            return s.length() > 1 && s.startsWith("0") ? Long.parseLong(s, 8) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The kind of a non-public address ("loopback", "private", ...), null for a public one. */
    static String privateKind(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return v4Kind(b);
        }
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96): the embedded IPv4 address decides
        boolean zero80 = true;
        for (int i = 0; i < 10; i++) {
            zero80 &= b[i] == 0;
        }
        boolean mapped = zero80 && (b[10] == (byte) 0xff && b[11] == (byte) 0xff || b[10] == 0 && b[11] == 0 && !allZero(b, 12, 16) && !isV6Loopback(b));
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b && allZero(b, 4, 12);
        if (mapped || nat64) {
            String k = v4Kind(new byte[]{b[12], b[13], b[14], b[15]});
            return k == null ? null : k + " (in IPv6)";
        }
        if (b[0] == 0x20 && b[1] == 0x02) { // 6to4: 2002:a.b.c.d::/48
            String k = v4Kind(new byte[]{b[2], b[3], b[4], b[5]});
            return k == null ? null : k + " (in 6to4)";
        }
        if (allZero(b, 0, 16)) {
            return "unspecified";
        }
        if (isV6Loopback(b)) {
            return "loopback";
        }
        int first = b[0] & 0xff;
        int second = b[1] & 0xff;
        if ((first & 0xfe) == 0xfc) {
            return "unique local";
        }
        if (first == 0xfe && (second & 0xc0) == 0x80) {
            return "link-local";
        }
        if (first == 0xfe && (second & 0xc0) == 0xc0) {
            return "site-local";
        }
        if (first == 0xff) {
            return "multicast";
        }
        return null;
    }

    private static String v4Kind(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        int a2 = b[2] & 0xff;
        if (a0 == 0) {
            return "unspecified";
        }
        if (a0 == 127) {
            return "loopback";
        }
        if (a0 == 10 || a0 == 172 && (a1 & 0xf0) == 16 || a0 == 192 && a1 == 168) {
            return "private";
        }
        if (a0 == 100 && (a1 & 0xc0) == 64) {
            return "shared (CGNAT)";
        }
        if (a0 == 169 && a1 == 254) {
            return "link-local";
        }
        if (a0 == 192 && a1 == 0 && a2 == 0) {
            return "reserved";
        }
        if (a0 == 198 && (a1 & 0xfe) == 18) {
            return "benchmarking";
        }
        if (a0 >= 224 && a0 < 240) {
            return "multicast";
        }
        if (a0 >= 240) {
            return "reserved";
        }
        return null;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isV6Loopback(byte[] b) {
        return allZero(b, 0, 15) && b[15] == 1;
    }
}
