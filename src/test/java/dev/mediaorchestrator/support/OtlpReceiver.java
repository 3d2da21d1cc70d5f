package dev.mediaorchestrator.support;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

/**
 * An OpenTelemetry collector, standing in: receives OTLP/HTTP trace exports
 * ({@code POST /v1/traces}, protobuf {@code ExportTraceServiceRequest}) on loopback and decodes the
 * spans with a small reader of the protobuf wire format (the fields a test looks at). Anything it
 * cannot decode is a 400, so a malformed export is noticed.
 */
public final class OtlpReceiver implements AutoCloseable {
    /** A received span: ids in lower-case hex (parent empty for a root), times in ns since the epoch. */
    public record Span(String service, String traceId, String spanId, String parentSpanId, String name, int kind,
                       long startNanos, long endNanos, Map<String, Object> attributes, int statusCode) {
        public Object attribute(String key) {
            return attributes.get(key);
        }

        @Override
        public String toString() {
            return service + " " + name + " [" + spanId + " <- " + (parentSpanId.isEmpty() ? "root" : parentSpanId) + "] " + attributes
                    + (statusCode == 2 ? " ERROR" : "");
        }
    }

    public static final int KIND_SERVER = 2;
    public static final int KIND_CLIENT = 3;
    public static final int STATUS_ERROR = 2;

    private final HttpServer server;
    public final List<Span> spans = new CopyOnWriteArrayList<>();
    public final List<String> contentTypes = new CopyOnWriteArrayList<>();

    public OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/v1/traces", ex -> {
            try (ex) {
                contentTypes.add(String.valueOf(ex.getRequestHeaders().getFirst("content-type")));
                InputStream in = ex.getRequestBody();
                if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("content-encoding"))) {
                    in = new GZIPInputStream(in);
                }
                byte[] body = in.readAllBytes();
                int status = 200;
                try {
                    spans.addAll(decodeRequest(body));
                } catch (RuntimeException e) {
                    status = 400;
                }
                ex.sendResponseHeaders(status, -1);
            }
        });
        server.start();
    }

    /** The base URL, for {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The spans of one trace, by start time. */
    public List<Span> trace(String traceId) {
        List<Span> out = new ArrayList<>(spans.stream().filter(s -> s.traceId.equals(traceId)).toList());
        out.sort(Comparator.comparingLong(Span::startNanos));
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }

    // ---------------------------------------------------------------- protobuf

    static List<Span> decodeRequest(byte[] body) {
        List<Span> out = new ArrayList<>();
        for (Field rs : fields(body)) {
            if (rs.number != 1) {
                continue; // resource_spans
            }
            String service = "";
            List<byte[]> scopeSpans = new ArrayList<>();
            for (Field f : fields(rs.bytes)) {
                if (f.number == 1) { // resource
                    for (Field a : fields(f.bytes)) {
                        if (a.number == 1) {
                            Map.Entry<String, Object> kv = keyValue(a.bytes);
                            if (kv.getKey().equals("service.name")) {
                                service = String.valueOf(kv.getValue());
                            }
                        }
                    }
                } else if (f.number == 2) {
                    scopeSpans.add(f.bytes);
                }
            }
            for (byte[] ss : scopeSpans) {
                for (Field f : fields(ss)) {
                    if (f.number == 2) {
                        out.add(span(service, f.bytes));
                    }
                }
            }
        }
        return out;
    }

    private static Span span(String service, byte[] b) {
        String traceId = "";
        String spanId = "";
        String parent = "";
        String name = "";
        int kind = 0;
        long start = 0;
        long end = 0;
        int status = 0;
        Map<String, Object> attrs = new LinkedHashMap<>();
        for (Field f : fields(b)) {
            switch (f.number) {
                case 1 -> traceId = HexFormat.of().formatHex(f.bytes);
                case 2 -> spanId = HexFormat.of().formatHex(f.bytes);
                case 4 -> parent = HexFormat.of().formatHex(f.bytes);
                case 5 -> name = new String(f.bytes, StandardCharsets.UTF_8);
                case 6 -> kind = (int) f.value;
                case 7 -> start = f.value;
                case 8 -> end = f.value;
                case 9 -> {
                    Map.Entry<String, Object> kv = keyValue(f.bytes);
                    attrs.put(kv.getKey(), kv.getValue());
                }
                case 15 -> {
                    for (Field s : fields(f.bytes)) {
                        if (s.number == 3) {
                            status = (int) s.value;
                        }
                    }
                }
                default -> {
                }
            }
        }
        return new Span(service, traceId, spanId, parent, name, kind, start, end, attrs, status);
    }

    private static Map.Entry<String, Object> keyValue(byte[] b) {
        String key = "";
        Object value = null;
        for (Field f : fields(b)) {
            if (f.number == 1) {
                key = new String(f.bytes, StandardCharsets.UTF_8);
            } else if (f.number == 2) {
                for (Field v : fields(f.bytes)) {
                    value = switch (v.number) {
                        case 1 -> new String(v.bytes, StandardCharsets.UTF_8);
                        case 2 -> v.value != 0;
                        case 3 -> v.value;
                        case 4 -> Double.longBitsToDouble(v.value);
                        default -> value;
                    };
                }
            }
        }
        return Map.entry(key, value == null ? "" : value);
    }

    /** One field of a message: its number and either a number ({@code value}) or bytes. */
    private record Field(int number, long value, byte[] bytes) {
    }

    private static List<Field> fields(byte[] b) {
        List<Field> out = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            long tag = varint(buf);
            int number = (int) (tag >>> 3);
            switch ((int) (tag & 7)) {
                case 0 -> out.add(new Field(number, varint(buf), null));
                case 1 -> out.add(new Field(number, buf.getLong(), null));
                case 2 -> {
                    int len = (int) varint(buf);
                    byte[] v = new byte[len];
                    buf.get(v);
                    out.add(new Field(number, 0, v));
                }
                case 5 -> out.add(new Field(number, buf.getInt() & 0xffffffffL, null));
                default -> throw new IllegalArgumentException("wire type " + (tag & 7));
            }
        }
        return out;
    }

    private static long varint(ByteBuffer buf) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = buf.get();
            result |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }
}
