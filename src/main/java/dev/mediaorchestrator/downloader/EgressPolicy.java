package dev.mediaorchestrator.downloader;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which addresses the downloader may connect to while private networks are off: every public
 * address, and of the others ({@link PrivateNetworks#privateKind}) only those an operator listed in
 * {@code DOWNLOADER_EGRESS_ALLOW}, modelled on Smokescreen's allow-address and allow-range: a
 * comma-separated list of {@code ADDRESS:PORT} ({@code [IPv6]:PORT}) for one service, or {@code
 * ADDRESS} / {@code ADDRESS/PREFIX} for every port of an address or a range. An internal mirror
 * the downloader must reach is the production use; tests use it to give a loopback server the role
 * of a public site.
 */
public final class EgressPolicy {
    /** Nothing but public addresses. */
    public static final EgressPolicy NO_EXCEPTIONS = new EgressPolicy(List.of());

    private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern ENTRY = Pattern.compile(
            "^(?:\\[([0-9A-Fa-f:.]+)\\]:(\\d{1,5})|([0-9.]+):(\\d{1,5})|([0-9A-Fa-f:.]+)(?:/(\\d{1,3}))?)$");

    /** One allowed address or range; {@code port} 0 for every port. */
    private record Allowed(byte[] network, int prefix, int port) {
        boolean matches(InetAddress a, int p) {
            byte[] b = a.getAddress();
            if (b.length != network.length || (port != 0 && port != p)) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >>> (bit % 8);
                if ((b[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    private final List<Allowed> allowed;

    private EgressPolicy(List<Allowed> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    /**
     * Parses {@code DOWNLOADER_EGRESS_ALLOW} (null or blank: nothing allowed beyond public addresses).
     *
     * @throws IllegalArgumentException naming the entry that is not an address, range or address:port
     */
    public static EgressPolicy parse(String list) {
        if (list == null || list.isBlank()) {
            return NO_EXCEPTIONS;
        }
        List<Allowed> out = new ArrayList<>();
        for (String raw : list.split(",")) {
            String entry = raw.strip();
            if (entry.isEmpty()) {
                continue;
            }
            out.add(entry(entry));
        }
        return new EgressPolicy(out);
    }

    private static Allowed entry(String entry) {
        Matcher m = ENTRY.matcher(entry);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an ADDRESS, ADDRESS/PREFIX or ADDRESS:PORT: '" + entry + "'");
        }
        String address = m.group(1) != null ? m.group(1) : m.group(3) != null ? m.group(3) : m.group(5);
        String port = m.group(2) != null ? m.group(2) : m.group(4);
        byte[] bytes = literal(address, entry);
        int prefix = m.group(6) == null ? bytes.length * 8 : Integer.parseInt(m.group(6));
        int p = port == null ? 0 : Integer.parseInt(port);
        if (prefix > bytes.length * 8 || port != null && (p < 1 || p > 65535)) {
            throw new IllegalArgumentException("prefix or port out of range: '" + entry + "'");
        }
        return new Allowed(bytes, prefix, p);
    }

    /** The bytes of an IP literal; never a DNS lookup. */
    private static byte[] literal(String address, String entry) {
        boolean v6 = address.contains(":");
        if (!v6 && !V4.matcher(address).matches()) {
            throw new IllegalArgumentException("not an IP address: '" + entry + "'");
        }
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + entry + "'");
        }
    }

    /**
     * The kind of non-public address {@code a} is ("loopback", "private", ...) when a connection
     * to it on {@code port} is refused; null when it may be made.
     */
    public String refusedKind(InetAddress a, int port) {
        String kind = PrivateNetworks.privateKind(a);
        if (kind == null) {
            return null;
        }
        for (Allowed x : allowed) {
            if (x.matches(a, port)) {
                return null;
            }
        }
        return kind;
    }
}
