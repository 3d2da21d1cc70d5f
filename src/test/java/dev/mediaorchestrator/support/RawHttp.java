package dev.mediaorchestrator.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.1 written by hand on a {@link Socket}, for requests that {@code HttpClient}
 * refuses to send (duplicated headers, malformed request lines, bad escapes, conflicting lengths),
 * and a small parser of the answer. The request is sent as given: the caller writes
 * {@code Connection: close} if it wants the server to end the connection after answering. An
 * exchange with a {@link RunningApp} is checked against {@code openapi.yaml}.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** An answer: status, headers (names in lower case, every value kept) and body. */
    public record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        public Optional<String> header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A request head built line by line ({@code "Name: value"}), then the body. */
    public static byte[] request(String requestLine, List<String> headerLines, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes((requestLine + "\r\n").getBytes(StandardCharsets.UTF_8));
        for (String h : headerLines) {
            out.writeBytes((h + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        if (body != null) {
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    /**
     * Writes {@code bytes} (on its own thread, so that a server that answers before reading the
     * whole body is seen answering) and reads one answer. Empty when the server closed the
     * connection without answering. A HEAD request must say so ({@code head}): its answer has no body.
     */
    public static Optional<Answer> exchange(URI base, byte[] bytes, boolean head, int timeoutMs) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(base.getHost(), base.getPort()), timeoutMs);
            s.setSoTimeout(timeoutMs);
            OutputStream out = s.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    out.write(bytes);
                    out.flush();
                } catch (IOException ignored) {
                    // the server may answer and close before reading everything
                }
            }, "raw-http-writer");
            writer.setDaemon(true);
            writer.start();
            InputStream in = s.getInputStream();
            Optional<Answer> answer;
            try {
                answer = read(in, head);
            } catch (SocketTimeoutException e) {
                throw new IOException("no answer within " + timeoutMs + " ms", e);
            }
            if (answer.isPresent() && RunningApp.serves(base)) {
                check(base, bytes, answer.get());
            }
            return answer;
        }
    }

    /**
     * Checks the exchange against {@code openapi.yaml}: what is written here by hand is mostly what
     * the document does not allow, so it must be refused as the document says ({@link OpenApiCheck}).
     */
    private static void check(URI base, byte[] request, Answer answer) {
        int headEnd = indexOf(request, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String head = new String(request, 0, headEnd < 0 ? request.length : headEnd, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r\n");
        int first = lines[0].indexOf(' ');
        int last = lines[0].lastIndexOf(' ');
        String method = first < 0 ? lines[0] : lines[0].substring(0, first);
        String version = last < 0 ? "" : lines[0].substring(last + 1);
        // a request line that is not METHOD SP target SP HTTP/1.x is no request of the document (empty target)
        String target = first < 0 || last <= first || !(version.equals("HTTP/1.1") || version.equals("HTTP/1.0"))
                ? "" : lines[0].substring(first + 1, last);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body = headEnd < 0 ? new byte[0] : Arrays.copyOfRange(request, headEnd + 4, request.length);
        boolean chunked = headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("transfer-encoding"));
        WireExchange x = new WireExchange(method, target, headers, chunked ? null : body,
                answer.status(), answer.headers(), method.equals("HEAD") ? null : answer.body());
        RunningApp.check(base, x, OpenApiCheck.allowedOutside() != null);
    }

    private static int indexOf(byte[] in, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= in.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (in[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static Optional<Answer> read(InputStream in, boolean head) throws IOException {
        String statusLine;
        try {
            statusLine = line(in);
        } catch (SocketException e) {
            return Optional.empty(); // reset before any answer
        }
        if (statusLine == null) {
            return Optional.empty();
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
            int colon = h.indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(h.substring(colon + 1).trim());
            }
        }
        byte[] body;
        List<String> length = headers.get("content-length");
        List<String> te = headers.get("transfer-encoding");
        if (head || status == 204 || status == 304 || status / 100 == 1) {
            body = new byte[0];
        } else if (te != null && te.get(0).equalsIgnoreCase("chunked")) {
            body = chunked(in);
        } else if (length != null) {
            body = in.readNBytes(Integer.parseInt(length.get(0)));
        } else {
            body = in.readAllBytes();
        }
        return Optional.of(new Answer(status, headers, body));
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            if (size == null) {
                return out.toByteArray();
            }
            int n = Integer.parseInt(size.split(";")[0].trim(), 16);
            if (n == 0) {
                for (String t = line(in); t != null && !t.isEmpty(); t = line(in)) {
                    // trailers
                }
                return out.toByteArray();
            }
            out.writeBytes(in.readNBytes(n));
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                break;
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c == -1 && b.size() == 0) {
            return null;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
