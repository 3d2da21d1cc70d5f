package dev.mediaorchestrator.downloader;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;

/**
 * The user's proxy behind the egress guard (a per-job {@code proxy}, {@code defaultProxyUrl}, or
 * the job's mihomo): {@code http}, {@code https} (TLS to the proxy), {@code socks4}, {@code
 * socks4a}, {@code socks5}, {@code socks5h}, with credentials from the URL. The guard has checked
 * the target before it asks this proxy for a connection; a proxy the job names is itself checked
 * where it is connected to ({@link #checkedBy}).
 *
 * <p>Who resolves the target's name follows the scheme, as in curl and yt-dlp: {@code socks4} and
 * {@code socks5} get the address the guard checked; {@code socks4a}, {@code socks5h} and the http
 * proxies get the name and resolve it themselves (a Clash/mihomo rule set matches on names, and a
 * proxy is often there because local DNS answers differently), so what they connect to is not
 * checked again here.
 */
final class EgressUpstream {
    private static final Set<String> SCHEMES = Set.of("http", "https", "socks4", "socks4a", "socks5", "socks5h");

    /** A connection through the proxy, with the stream to read from it (it may hold bytes already read). */
    record Tunnel(Socket socket, InputStream in) {
    }

    /** The proxy refused the connection or answered what a proxy should not; the message has no credential. */
    static class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /** The proxy's own address is one the egress rules refuse (a job's proxy in a private network). */
    static final class Forbidden extends Refused {
        Forbidden(String message) {
            super(message);
        }
    }

    /** Resolves the proxy's host and checks the answer: the address to connect to, or {@link Forbidden}. */
    interface AddressCheck {
        InetAddress address(String host, int port) throws IOException;
    }

    private final String scheme;
    private final String host;
    private final int port;
    private final String username;
    private final String password;
    private final AddressCheck check;

    private EgressUpstream(String scheme, String host, int port, String username, String password, AddressCheck check) {
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.check = check;
    }

    /** This proxy, its address checked by {@code check} before each connection (and connected to as checked: no second lookup). */
    EgressUpstream checkedBy(AddressCheck check) {
        return new EgressUpstream(scheme, host, port, username, password, check);
    }

    /** The proxy of a {@code --proxy} URL ({@code scheme://[user[:pass]@]host[:port]}). */
    static EgressUpstream parse(String url) {
        Urls.Parts p = Urls.split(url);
        if (p == null || !SCHEMES.contains(p.scheme())) {
            throw new IllegalArgumentException("not a proxy URL the egress guard can chain: " + Redactor.url(String.valueOf(url)));
        }
        String user = null;
        String pass = null;
        if (p.userInfo() != null) {
            int colon = p.userInfo().indexOf(':');
            user = Urls.decode(colon < 0 ? p.userInfo() : p.userInfo().substring(0, colon));
            pass = colon < 0 ? "" : Urls.decode(p.userInfo().substring(colon + 1));
        }
        int port = p.port() != null ? p.port() : p.scheme().startsWith("socks") ? 1080 : p.scheme().equals("https") ? 443 : 80;
        return new EgressUpstream(p.scheme(), p.host(), port, user, pass, null);
    }

    /** {@code host:port} of the proxy, for messages. */
    String describe() {
        return scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** True when plain-HTTP requests go to this proxy as they are (absolute form), not through a tunnel. */
    boolean forwardsHttp() {
        return scheme.startsWith("http");
    }

    /** True when the proxy gets the target's name (and resolves it itself) rather than the checked address. */
    boolean resolvesNames() {
        return !scheme.equals("socks4") && !scheme.equals("socks5");
    }

    /** {@code Proxy-Authorization} for an http proxy with credentials, else null. */
    String authorization() {
        if (username == null || !forwardsHttp()) {
            return null;
        }
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** A connection to the proxy itself (TLS for {@code https}). */
    Socket open(int timeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(check == null ? new InetSocketAddress(host, port) : new InetSocketAddress(check.address(host, port), port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            if (scheme.equals("https")) {
                SSLSocket tls = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault()).createSocket(s, host, port, true);
                SSLParameters params = tls.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                tls.setSSLParameters(params);
                tls.startHandshake();
                return tls;
            }
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /**
     * A connection through the proxy to {@code targetHost:targetPort}; {@code checked} is the
     * address the guard checked (null when the name could not be resolved here: only a proxy that
     * resolves names is then asked).
     */
    Tunnel tunnel(String targetHost, int targetPort, InetAddress checked, int timeoutMillis) throws IOException {
        Socket s = open(timeoutMillis);
        try {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String name = resolvesNames() || checked == null ? targetHost : checked.getHostAddress();
            switch (scheme) {
                case "http", "https" -> connect(in, out, name, targetPort);
                case "socks5", "socks5h" -> socks5(in, out, name, checked, targetPort);
                default -> socks4(in, out, name, checked, targetPort);
            }
            return new Tunnel(s, in);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static void send(OutputStream out, byte[] message) throws IOException {
        out.write(message);
        out.flush();
    }

    private void connect(InputStream in, OutputStream out, String target, int targetPort) throws IOException {
        String authority = (target.contains(":") ? "[" + target + "]" : target) + ":" + targetPort;
        out.write(HttpHead.of("CONNECT " + authority + " HTTP/1.1", "Host", authority, "Proxy-Authorization", authorization()).bytes());
        out.flush();
        HttpHead response = HttpHead.read(in, EgressGuard.MAX_HEAD_BYTES);
        int status = response == null ? -1 : response.status();
        if (status / 100 != 2) {
            throw new Refused("the proxy " + describe() + " answered " + (response == null ? "nothing" : response.startLine()));
        }
    }

    /** SOCKS5 (RFC 1928, with RFC 1929 credentials); each message in one write, as small servers read one packet per step. */
    private void socks5(InputStream in, OutputStream out, String target, InetAddress checked, int targetPort) throws IOException {
        DataInputStream data = new DataInputStream(in);
        send(out, username == null ? new byte[]{5, 1, 0} : new byte[]{5, 2, 0, 2});
        if (data.readUnsignedByte() != 5) {
            throw new Refused("the proxy " + describe() + " does not speak SOCKS5");
        }
        int method = data.readUnsignedByte();
        if (method == 2 && username != null) {
            byte[] u = username.getBytes(StandardCharsets.UTF_8);
            byte[] p = password.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream auth = new ByteArrayOutputStream();
            auth.write(1);
            auth.write(u.length);
            auth.writeBytes(u);
            auth.write(p.length);
            auth.writeBytes(p);
            send(out, auth.toByteArray());
            data.readUnsignedByte();
            if (data.readUnsignedByte() != 0) {
                throw new Refused("the proxy " + describe() + " refused the credentials");
            }
        } else if (method != 0) {
            throw new Refused("the proxy " + describe() + " accepts none of our authentication methods");
        }
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(new byte[]{5, 1, 0});
        InetAddress address = checked != null && !resolvesNames() ? checked : null;
        if (address != null) {
            request.write(address instanceof Inet4Address ? 1 : 4);
            request.writeBytes(address.getAddress());
        } else {
            byte[] name = target.getBytes(StandardCharsets.UTF_8);
            request.write(3);
            request.write(name.length);
            request.writeBytes(name);
        }
        request.write(targetPort >>> 8);
        request.write(targetPort & 0xff);
        send(out, request.toByteArray());
        data.readUnsignedByte();
        int reply = data.readUnsignedByte();
        data.readUnsignedByte();
        int type = data.readUnsignedByte();
        int skip = type == 1 ? 4 : type == 4 ? 16 : type == 3 ? data.readUnsignedByte() : -1;
        if (skip < 0) {
            throw new Refused("the proxy " + describe() + " sent a malformed SOCKS5 reply");
        }
        data.readFully(new byte[skip + 2]);
        if (reply != 0) {
            throw new Refused("the proxy " + describe() + " refused the connection (SOCKS5 reply " + reply + ")");
        }
    }

    private void socks4(InputStream in, OutputStream out, String target, InetAddress checked, int targetPort) throws IOException {
        boolean byName = scheme.equals("socks4a") || checked == null;
        if (!byName && !(checked instanceof Inet4Address)) {
            throw new Refused("the proxy " + describe() + " (SOCKS4) cannot connect to an IPv6 address");
        }
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(new byte[]{4, 1, (byte) (targetPort >>> 8), (byte) targetPort});
        request.writeBytes(byName ? new byte[]{0, 0, 0, 1} : checked.getAddress());
        request.writeBytes(username == null ? new byte[0] : username.getBytes(StandardCharsets.UTF_8));
        request.write(0);
        if (byName) {
            request.writeBytes(target.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
            request.write(0);
        }
        send(out, request.toByteArray());
        byte[] reply = new byte[8];
        new DataInputStream(in).readFully(reply);
        if (reply[1] != 0x5a) {
            throw new Refused("the proxy " + describe() + " refused the connection (SOCKS4 reply " + (reply[1] & 0xff) + ")");
        }
    }
}
