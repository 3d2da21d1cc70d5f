package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.JobContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The downloader's egress guard, after Stripe's Smokescreen: a small forwarding HTTP proxy on
 * loopback, one per job, that yt-dlp must use ({@code --proxy}). Every connection yt-dlp makes
 * (the page, each redirect, each media URL found in a page, fragments, subtitles, thumbnails) is a
 * {@code CONNECT host:port} or an absolute-form {@code GET http://…} to it. The guard resolves the
 * target's name itself, refuses the connection when any answer is not public ({@link
 * EgressPolicy}: loopback, private, link-local with the metadata address, CGNAT, multicast,
 * unspecified…), and connects to exactly the address it checked: there is no second lookup for an
 * answer to change in (DNS rebinding). A refusal is a {@code 403} to yt-dlp, an INFO line, and
 * the job's error ({@link #refusal()}).
 *
 * <p>The user's proxy ({@link EgressUpstream}) is chained behind: the guard checks the target
 * named in the request first, then asks that proxy for the connection. What such a proxy resolves
 * and connects to on its side is out of the guard's sight (README, The downloader).
 *
 * <p>Bounds: at most {@value #MAX_CONNECTIONS} connections at once (beyond, {@code 503}), two
 * threads and two {@value #BUFFER}-byte buffers each, bodies streamed as they come (never held);
 * request heads of at most {@value #MAX_HEAD_BYTES} bytes. It takes only requests carrying its
 * per-job credential (other local processes cannot use it, or the user's proxy through it), and
 * {@link #close()} with the job ends every connection.
 */
public final class EgressGuard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EgressGuard.class);
    static final int MAX_CONNECTIONS = 16;
    static final int MAX_HEAD_BYTES = 64 * 1024;
    static final int CONNECT_TIMEOUT_MS = 30_000;
    /** A target that sends nothing for this long is dropped (yt-dlp's own socket timeout is shorter). */
    static final int IDLE_TIMEOUT_MS = 300_000;
    private static final int BUFFER = 32 * 1024;
    private static final String USER = "job";
    private static final Set<String> HOP_BY_HOP = Set.of("proxy-authorization", "proxy-connection", "connection", "keep-alive");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String jobId;
    private final EgressPolicy policy;
    private final PrivateNetworks.Resolver resolver;
    private final EgressUpstream upstream;
    private final ExecutorService threads;
    private final ServerSocket server;
    private final String secret = HexFormat.of().formatHex(bytes(16));
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
    private final AtomicReference<String> refusal = new AtomicReference<>();
    private volatile boolean closed;

    private EgressGuard(String jobId, EgressPolicy policy, PrivateNetworks.Resolver resolver, EgressUpstream upstream,
                        ExecutorService threads) throws IOException {
        this.jobId = jobId;
        this.policy = policy;
        this.resolver = resolver;
        this.upstream = upstream;
        this.threads = threads;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /**
     * A guard listening on a free loopback port; {@code upstream} (null for none) is the user's
     * proxy; its threads come from {@code threads}.
     */
    static EgressGuard start(String jobId, EgressPolicy policy, PrivateNetworks.Resolver resolver, EgressUpstream upstream,
                             ExecutorService threads) throws IOException {
        EgressGuard g = new EgressGuard(jobId, policy, resolver, upstream, threads);
        try {
            threads.execute(JobContext.wrap(jobId, g::acceptLoop));
        } catch (RejectedExecutionException e) {
            g.close();
            throw new IOException("no thread for the egress guard", e);
        }
        return g;
    }

    /** The value for {@code yt-dlp --proxy}: this guard with its credential (a secret: scrub it from tool output). */
    public String proxyUrl() {
        return "http://" + USER + ":" + secret + "@127.0.0.1:" + server.getLocalPort();
    }

    /** The credential in {@link #proxyUrl()}, for scrubbing. */
    public String secret() {
        return secret;
    }

    /** Why the first refused connection was refused (the job's error when yt-dlp fails), if one was. */
    public Optional<String> refusal() {
        return Optional.ofNullable(refusal.get());
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        open.forEach(EgressGuard::closeQuietly);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("egress guard of job {} stopped accepting: {}", jobId, e.toString());
                }
                return;
            }
            if (!slots.tryAcquire()) {
                try (client) {
                    answer(client.getOutputStream(), 503, "Service Unavailable", "more than " + MAX_CONNECTIONS + " connections at once", null);
                } catch (IOException e) {
                    // the client is gone already
                }
                continue;
            }
            open.add(client);
            Runnable done = () -> {
                closeQuietly(client);
                open.remove(client);
                slots.release();
            };
            try {
                if (closed) {
                    done.run();
                    return;
                }
                threads.execute(JobContext.wrap(jobId, () -> {
                    try {
                        serve(client);
                    } finally {
                        done.run();
                    }
                }));
            } catch (RejectedExecutionException e) {
                done.run();
            }
        }
    }

    /** One client connection: one request (or one tunnel), then the connection is closed. */
    private void serve(Socket client) {
        try {
            client.setSoTimeout(CONNECT_TIMEOUT_MS);
            InputStream in = new BufferedInputStream(client.getInputStream(), BUFFER);
            OutputStream out = client.getOutputStream();
            HttpHead request;
            try {
                request = HttpHead.read(in, MAX_HEAD_BYTES);
            } catch (IOException e) {
                answer(out, 400, "Bad Request", "malformed request head: " + e.getMessage(), null);
                return;
            }
            if (request == null) {
                return;
            }
            String[] start = request.startLine().split(" ");
            if (start.length != 3 || !start[2].startsWith("HTTP/1.")) {
                answer(out, 400, "Bad Request", "not an HTTP/1 request line", null);
                return;
            }
            if (!expectedAuthorization().equals(request.header("Proxy-Authorization"))) {
                answer(out, 407, "Proxy Authentication Required", "this proxy serves one job only",
                        "Proxy-Authenticate: Basic realm=\"egress-guard\"");
                return;
            }
            boolean tunnel = start[0].equals("CONNECT");
            EgressTarget target = tunnel ? EgressTarget.ofAuthority(start[1]) : EgressTarget.ofAbsoluteUrl(start[1]);
            if (target == null) {
                answer(out, 400, "Bad Request", "only CONNECT host:port and absolute http:// URLs are forwarded", null);
                return;
            }
            forward(client, in, out, start, request, target, tunnel);
        } catch (IOException e) {
            LOG.debug("egress guard of job {}: connection ended: {}", jobId, e.toString());
        }
    }

    private void forward(Socket client, InputStream in, OutputStream out, String[] start, HttpHead request, EgressTarget target,
                         boolean tunnel) throws IOException {
        InetAddress[] addresses;
        try {
            addresses = PrivateNetworks.addresses(target.host(), resolver);
        } catch (UnknownHostException e) {
            if (upstream == null) {
                answer(out, 502, "Bad Gateway", "cannot resolve " + target.host(), null);
                return;
            }
            addresses = new InetAddress[0]; // the proxy behind resolves it: not checked here
        }
        for (InetAddress a : addresses) {
            String kind = policy.refusedKind(a, target.port());
            if (kind != null) {
                String why = "connection refused by the egress guard: " + target.authority()
                        + (PrivateNetworks.isLiteral(target.host()) ? " is" : " resolves to " + a.getHostAddress() + ",")
                        + " a " + kind + " address; " + PrivateNetworks.OFF;
                refusal.compareAndSet(null, why);
                LOG.info("egress guard refused a connection (job {}): {}", jobId, why.substring(why.indexOf(':') + 2));
                answer(out, 403, "Forbidden by egress guard", why, null);
                return;
            }
        }
        Connection up;
        try {
            up = connect(target, addresses, tunnel);
        } catch (IOException e) {
            String why = e instanceof EgressUpstream.Refused ? e.getMessage() : "cannot connect to " + target.authority()
                    + (upstream == null ? "" : " through " + upstream.describe()) + ": " + e.getMessage();
            if (e instanceof EgressUpstream.Forbidden) {
                refusal.compareAndSet(null, why); // the job's proxy in a private network: the job fails saying so
            }
            LOG.info("egress guard could not connect (job {}): {}", jobId, why);
            answer(out, 502, "Bad Gateway (" + why + ")", why, null);
            return;
        }
        open.add(up.socket);
        try {
            if (closed) {
                return;
            }
            up.socket.setSoTimeout(IDLE_TIMEOUT_MS);
            client.setSoTimeout(0); // a client downloading sends nothing for as long as the download takes
            OutputStream upOut = up.socket.getOutputStream();
            if (tunnel) {
                out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } else {
                upOut.write(forwardedHead(start, request, target).bytes());
                upOut.flush();
            }
            relay(client, in, out, up, upOut);
        } finally {
            closeQuietly(up.socket);
            open.remove(up.socket);
        }
    }

    private record Connection(Socket socket, InputStream in) {
    }

    /** To the checked addresses in turn (no lookup), or through the user's proxy. */
    private Connection connect(EgressTarget target, InetAddress[] addresses, boolean tunnel) throws IOException {
        if (upstream != null) {
            if (!tunnel && upstream.forwardsHttp()) {
                Socket s = upstream.open(CONNECT_TIMEOUT_MS);
                return new Connection(s, s.getInputStream());
            }
            EgressUpstream.Tunnel t = upstream.tunnel(target.host(), target.port(), addresses.length == 0 ? null : addresses[0],
                    CONNECT_TIMEOUT_MS);
            return new Connection(t.socket(), t.in());
        }
        IOException last = null;
        for (InetAddress a : addresses) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(a, target.port()), CONNECT_TIMEOUT_MS);
                return new Connection(s, s.getInputStream());
            } catch (IOException e) {
                s.close();
                last = e;
            }
        }
        throw last != null ? last : new IOException("no address");
    }

    /**
     * The request as it goes on: origin form to the target (or through a tunnel), absolute form to
     * an http proxy behind (with its credential); this guard's credential and the hop-by-hop
     * headers removed, and {@code Connection: close} (one request per connection).
     */
    private HttpHead forwardedHead(String[] start, HttpHead request, EgressTarget target) {
        boolean viaHttpProxy = upstream != null && upstream.forwardsHttp();
        String line = start[0] + " " + (viaHttpProxy ? target.absoluteUrl() : target.pathAndQuery()) + " " + start[2];
        return request.rewritten(line, HOP_BY_HOP, "Host", request.header("Host") == null ? target.authority() : null,
                "Proxy-Authorization", viaHttpProxy ? upstream.authorization() : null, "Connection", "close");
    }

    /** Bytes both ways until either side ends; then both connections are closed. */
    private void relay(Socket client, InputStream in, OutputStream out, Connection up, OutputStream upOut) {
        Runnable closeBoth = () -> {
            closeQuietly(client);
            closeQuietly(up.socket);
        };
        try {
            threads.execute(JobContext.wrap(jobId, () -> {
                try {
                    in.transferTo(upOut);
                } catch (IOException e) {
                    // the client or the target went away
                } finally {
                    closeBoth.run();
                }
            }));
        } catch (RejectedExecutionException e) {
            closeBoth.run();
            return;
        }
        try {
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = up.in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // the client or the target went away
        } finally {
            closeBoth.run();
        }
    }

    private String expectedAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString((USER + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    /** A short answer of the guard's own; the reason phrase (which yt-dlp shows) is kept to printable ASCII. */
    private static void answer(OutputStream out, int status, String reason, String body, String extraHeader) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String phrase = reason.replaceAll("[^\\x20-\\x7e]", "?");
        String head = "HTTP/1.1 " + status + " " + (phrase.length() > 300 ? phrase.substring(0, 300) : phrase) + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n" + (extraHeader == null ? "" : extraHeader + "\r\n") + "\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.flush();
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing
        }
    }
}
