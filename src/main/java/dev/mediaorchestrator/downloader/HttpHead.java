package dev.mediaorchestrator.downloader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The head of an HTTP/1.x message (start line and header lines) as a proxy reads and rewrites it.
 * Read a byte at a time up to the blank line, never further: the body stays in the stream, to be
 * passed on as it comes. At most {@code maxBytes} are read; a longer head is an error.
 */
record HttpHead(String startLine, List<String[]> headers) {

    /** The head from {@code in}; null when the stream ends before its first byte. */
    static HttpHead read(InputStream in, int maxBytes) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        String start = null;
        List<String[]> headers = new ArrayList<>();
        int total = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (total == 0) {
                    return null;
                }
                throw new IOException("the head ended early");
            }
            if (++total > maxBytes) {
                throw new IOException("the head is longer than " + maxBytes + " bytes");
            }
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String text = line.toString(StandardCharsets.ISO_8859_1);
            line.reset();
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
            if (start == null) {
                start = text;
            } else if (text.isEmpty()) {
                return new HttpHead(start, headers);
            } else {
                int colon = text.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("a header line without a name");
                }
                headers.add(new String[]{text.substring(0, colon).strip(), text.substring(colon + 1).strip()});
            }
        }
    }

    /** A head of {@code start} and the headers given as name, value pairs (a null value leaves its header out). */
    static HttpHead of(String start, String... nameValues) {
        return new HttpHead(start, List.of()).rewritten(start, Set.of(), nameValues);
    }

    /** The first value of header {@code name} (any case), or null. */
    String header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    /** This head with another start line, without the headers named (any case), and with {@code extra} appended. */
    HttpHead rewritten(String newStart, Set<String> drop, String... extra) {
        List<String[]> out = new ArrayList<>();
        for (String[] h : headers) {
            if (!drop.contains(h[0].toLowerCase(Locale.ROOT))) {
                out.add(h);
            }
        }
        for (int i = 0; i + 1 < extra.length; i += 2) {
            if (extra[i + 1] != null) {
                out.add(new String[]{extra[i], extra[i + 1]});
            }
        }
        return new HttpHead(newStart, out);
    }

    /** The head as it goes on the wire, blank line included. */
    byte[] bytes() {
        StringBuilder sb = new StringBuilder(startLine).append("\r\n");
        for (String[] h : headers) {
            sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The status code of a response head; -1 when the start line is not {@code HTTP/x.y NNN ...}. */
    int status() {
        String[] parts = startLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("\\d{3}")) {
            return -1;
        }
        return Integer.parseInt(parts[1]);
    }
}
