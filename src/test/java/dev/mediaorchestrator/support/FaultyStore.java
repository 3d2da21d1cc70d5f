package dev.mediaorchestrator.support;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A store that misbehaves the way real ones do, in front of a real S3 server (the embedded S3Proxy):
 * requests pass through byte for byte (the {@code Host} the client signed is kept, so SigV4
 * signatures and presigned URLs still check), one request per connection, unless a fault is on:
 * <ul>
 *   <li>{@link Mode#R2_WRITE_LIMIT}: Cloudflare R2's limit of one write per second per object key
 *       (developers.cloudflare.com/r2/platform/limits: "Maximum concurrent writes to the same object
 *       name (key): 1 per second ... HTTP 429"; error code 10058, S3 code {@code TooManyRequests},
 *       message "Reduce your concurrent request rate for the same object."). A PutObject,
 *       CompleteMultipartUpload or DeleteObject of a key whose last accepted write began less than a
 *       second ago is answered 429 with R2's XML error and no {@code Retry-After} (R2's documentation
 *       promises none). Parts of a multipart upload are not limited.</li>
 *   <li>{@link Mode#DISK_FULL}: what S3Proxy answers on a full filesystem (observed on a loop-mounted
 *       ext4 filled up): a write with a small body gets {@code 500 InternalError "An internal error
 *       occurred. Try again."}; a large one has its connection dropped part-way through the body.
 *       Reads still work.</li>
 * </ul>
 */
public final class FaultyStore implements AutoCloseable {
    public enum Mode { PASS, R2_WRITE_LIMIT, DISK_FULL }

    /** R2's answer to a second write of a key within a second (10058 TooManyRequests). */
    static final String R2_TOO_MANY = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>TooManyRequests</Code>"
            + "<Message>Reduce your concurrent request rate for the same object.</Message></Error>";
    /** S3Proxy's answer to a write on a full disk. */
    static final String FULL = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
            + "<Message>An internal error occurred. Try again.</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>";
    /** Bodies above this are cut off part-way when the disk is full (S3Proxy fails while it writes them). */
    static final long FULL_CUT_AFTER = 1 << 20;

    private final URI upstream;
    private final int port;
    private volatile ServerSocket server;
    /** Every socket open now (clients and the store behind): {@link #down()} cuts them all. */
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "faulty-store");
        t.setDaemon(true);
        return t;
    });
    /** What every front of one store shares: the store's state, not the connection's. */
    private static final class Shared {
        volatile Mode mode = Mode.PASS;
        final Map<String, Long> lastWrite = new ConcurrentHashMap<>();
        final Map<String, Object> keyLocks = new ConcurrentHashMap<>();
        final AtomicInteger limited = new AtomicInteger();
        final List<String> writes = new CopyOnWriteArrayList<>();
    }

    private final Shared shared;
    /** Writes answered 429 (every front of this store). */
    public final AtomicInteger limited;
    /** The keys of the writes let through, in order (every front of this store). */
    public final List<String> writes;
    /** Writes being forwarded now (their keys). */
    public final List<String> writing = new CopyOnWriteArrayList<>();
    private volatile long latencyMs;
    private volatile String pacedPrefix;
    private volatile int pacedBytesPerSecond;

    public FaultyStore(URI upstream) throws IOException {
        this(upstream, new Shared());
    }

    private FaultyStore(URI upstream, Shared shared) throws IOException {
        this.shared = shared;
        this.limited = shared.limited;
        this.writes = shared.writes;
        this.upstream = upstream;
        this.server = listen(0);
        this.port = server.getLocalPort();
        ServerSocket s = server;
        pool.submit(() -> acceptLoop(s));
    }

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 256);
        return s;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * The store goes away at once, as a killed server does: every connection is cut (an upload in
     * flight fails part-way) and new ones are refused, until {@link #up()}.
     */
    public void down() throws IOException {
        server.close();
        for (Socket s : open) {
            s.setSoLinger(true, 0);
            s.close();
        }
    }

    /** The store is back, on the same address. */
    public void up() throws IOException {
        ServerSocket s = listen(port);
        server = s;
        pool.submit(() -> acceptLoop(s));
    }

    public FaultyStore mode(Mode mode) {
        shared.mode = mode;
        return this;
    }

    /**
     * Another address of the same store: what a second replica's connections reach. It shares the
     * limits and faults (R2's limit is per key, whoever writes); its address differs, so the
     * orchestrator's per-process serialization of conditional writes (Storage.putSmall) does not
     * span the two, as it does not span two replicas.
     */
    public FaultyStore anotherFront() throws IOException {
        return new FaultyStore(upstream, shared);
    }

    /**
     * Bodies of writes to keys under {@code prefix} are passed on at {@code bytesPerSecond}: an
     * upload that takes a while, so that a test can stop the store in the middle of it.
     */
    public FaultyStore pace(String prefix, int bytesPerSecond) {
        this.pacedPrefix = prefix;
        this.pacedBytesPerSecond = bytesPerSecond;
        return this;
    }

    /** Every request waits this long before it is looked at: a store across a network (R2 from a cluster: tens of ms). */
    public FaultyStore latency(long ms) {
        this.latencyMs = ms;
        return this;
    }

    /** How many writes of keys starting with {@code prefix} went through. */
    public long writesUnder(String prefix) {
        return writes.stream().filter(k -> k.startsWith(prefix)).count();
    }

    private void acceptLoop(ServerSocket listening) {
        while (!listening.isClosed()) {
            try {
                Socket client = listening.accept();
                open.add(client);
                pool.submit(() -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            serveOne(client);
        } catch (IOException e) {
            // the client or the store went away: nothing to answer
        } finally {
            open.remove(client);
        }
    }

    private void serveOne(Socket client) throws IOException {
        {
            InputStream in = client.getInputStream();
            byte[] head = readHead(in);
            if (head == null) {
                return;
            }
            Request r = Request.parse(head);
            if (latencyMs > 0) {
                try {
                    Thread.sleep(latencyMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            Mode now = shared.mode;
            String key = r.objectKey();
            if (now == Mode.DISK_FULL && r.isWrite()) {
                if (r.contentLength() > FULL_CUT_AFTER) {
                    in.readNBytes(64 * 1024); // S3Proxy reads a little, fails writing it, and drops the connection
                    client.setSoLinger(true, 0);
                    return;
                }
                answer(client, in, r, 500, "Internal Server Error", FULL);
                return;
            }
            Long limitedWrite = null;
            if (now == Mode.R2_WRITE_LIMIT && r.isObjectWrite() && key != null) {
                long t = System.nanoTime();
                boolean[] refused = {false};
                // a write that reached the store occupies the key for a second, also when it failed with
                // 5xx (a retry within that second is refused too); a refused one does not (a rate
                // limiter's refusal costs nothing), nor one that wrote nothing (412, below)
                shared.lastWrite.compute(key, (k, last) -> {
                    if (last != null && t - last < 1_000_000_000L) {
                        refused[0] = true;
                        return last;
                    }
                    return t;
                });
                if (refused[0]) {
                    limited.incrementAndGet();
                    answer(client, in, r, 429, "Too Many Requests", R2_TOO_MANY);
                    return;
                }
                limitedWrite = t;
            }
            if (r.isObjectWrite() && key != null) {
                writes.add(key);
            }
            String paced = pacedPrefix;
            boolean slow = paced != null && r.isWrite() && key != null && key.startsWith(paced);
            if (key != null && r.isWrite()) {
                writing.add(key);
            }
            try {
                InputStream body = slow ? new Paced(in, pacedBytesPerSecond) : in;
                int status;
                if (r.isConditional() && key != null) {
                    // R2 applies If-Match / If-None-Match atomically; S3Proxy checks and then writes
                    synchronized (shared.keyLocks.computeIfAbsent(key, k -> new Object())) {
                        status = forward(client, body, r);
                    }
                } else {
                    status = forward(client, body, r);
                }
                if (limitedWrite != null && status / 100 == 4) {
                    // nothing was written (a failed precondition): the key is not taken
                    shared.lastWrite.remove(key, limitedWrite);
                }
            } finally {
                writing.remove(key);
            }
        }
    }

    /** Answers with an S3 XML error, having read the body (or, for {@code Expect: 100-continue}, before it is sent). */
    private static void answer(Socket client, InputStream in, Request r, int status, String reason, String xml) throws IOException {
        if (!r.expectsContinue() && r.contentLength() > 0) {
            in.skipNBytes(r.contentLength());
        }
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        OutputStream out = client.getOutputStream();
        out.write(("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/xml\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        client.shutdownOutput();
    }

    /** Passes the request on and the store's answer back; returns the answer's status (0 when there was none). */
    private int forward(Socket client, InputStream in, Request r) throws IOException {
        try (Socket store = new Socket(upstream.getHost(), upstream.getPort())) {
            open.add(store);
            OutputStream toStore = store.getOutputStream();
            toStore.write(r.headWithConnectionClose());
            toStore.flush();
            pool.submit(() -> {
                try {
                    in.transferTo(toStore);
                } catch (IOException e) {
                    // either side closed
                }
            });
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            InputStream answer = store.getInputStream();
            OutputStream toClient = client.getOutputStream();
            byte[] buf = new byte[8192];
            for (int n; (n = answer.read(buf)) >= 0; ) {
                if (head.size() < 4096) {
                    head.write(buf, 0, Math.min(n, 4096 - head.size()));
                }
                toClient.write(buf, 0, n);
            }
            toClient.flush();
            return finalStatus(head.toString(StandardCharsets.ISO_8859_1));
        } finally {
            open.removeIf(Socket::isClosed);
        }
    }

    /** The status of the answer, past any {@code 100 Continue}. */
    private static int finalStatus(String head) {
        for (String line : head.split("\r\n")) {
            if (line.startsWith("HTTP/1.1 ") && line.length() >= 12 && !line.startsWith("HTTP/1.1 1")) {
                return Integer.parseInt(line.substring(9, 12));
            }
        }
        return 0;
    }

    /** A stream read at most {@code rate} bytes a second. */
    private static final class Paced extends FilterInputStream {
        private final int rate;
        private final long start = System.nanoTime();
        private long read;

        Paced(InputStream in, int rate) {
            super(in);
            this.rate = rate;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long due = start + read * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }
            int n = super.read(b, off, Math.min(len, Math.max(1, rate / 10)));
            if (n > 0) {
                read += n;
            }
            return n;
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (head.size() < 64 * 1024) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                return head.toByteArray();
            }
        }
        throw new IOException("request head too large");
    }

    /** The parts of a request head this store looks at. */
    private record Request(String method, String target, List<String[]> headers) {
        static Request parse(byte[] head) {
            String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
            String[] first = lines[0].split(" ");
            List<String[]> headers = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.add(new String[]{lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()});
                }
            }
            return new Request(first[0], first[1], headers);
        }

        String header(String name) {
            return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).findFirst().orElse(null);
        }

        long contentLength() {
            String v = header("Content-Length");
            return v == null ? 0 : Long.parseLong(v);
        }

        boolean isConditional() {
            return isObjectWrite() && (header("If-Match") != null || header("If-None-Match") != null);
        }

        boolean expectsContinue() {
            return "100-continue".equalsIgnoreCase(header("Expect"));
        }

        private String query() {
            int q = target.indexOf('?');
            return q < 0 ? "" : target.substring(q + 1);
        }

        boolean isWrite() {
            return method.equals("PUT") || method.equals("POST") || method.equals("DELETE");
        }

        /** A write of a whole object: PutObject, CompleteMultipartUpload, DeleteObject (not a part, not the start of an upload). */
        boolean isObjectWrite() {
            String q = query();
            boolean hasUpload = q.contains("uploadId=");
            return switch (method) {
                case "PUT" -> !hasUpload;
                case "POST" -> hasUpload;
                case "DELETE" -> !hasUpload;
                default -> false;
            };
        }

        /** The key of a path-style request ({@code /bucket/key}), or null. */
        String objectKey() {
            int q = target.indexOf('?');
            String path = q < 0 ? target : target.substring(0, q);
            int slash = path.indexOf('/', 1);
            return slash < 0 || slash == path.length() - 1 ? null : URLDecoder.decode(path.substring(slash + 1), StandardCharsets.UTF_8);
        }

        byte[] headWithConnectionClose() {
            StringBuilder s = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
            for (String[] h : headers) {
                String name = h[0].toLowerCase(Locale.ROOT);
                if (!name.equals("connection") && !name.equals("keep-alive")) {
                    s.append(h[0]).append(": ").append(h[1]).append("\r\n");
                }
            }
            s.append("Connection: close\r\n\r\n");
            return s.toString().getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        pool.shutdownNow();
    }
}
