package dev.mediaorchestrator.support;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP exchange as it went over the wire, for {@link OpenApiCheck} to check: the request
 * line's method and target (raw path and query, as sent), the headers (names in lower case), and
 * the bodies. A body is {@code null} when it was not read (a stream, a file, a large upload): then
 * only the status and headers are checked.
 */
public record WireExchange(String method, String target, Map<String, List<String>> requestHeaders, byte[] requestBody,
                           int status, Map<String, List<String>> responseHeaders, byte[] responseBody) {

    /** Only an answer of this many bytes or fewer is read for the check (a job document, an error, a listing). */
    static final int MAX_CHECKED_BODY = 4 * 1024 * 1024;

    public WireExchange {
        requestHeaders = lowerCase(requestHeaders);
        responseHeaders = lowerCase(responseHeaders);
    }

    /** The raw path of the target (before {@code ?}). */
    public String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** The raw query of the target, or null. */
    public String query() {
        int q = target.indexOf('?');
        return q < 0 ? null : target.substring(q + 1);
    }

    /** {@code "POST /jobs → 202"}, the first words of every message about this exchange. */
    public String title() {
        String shown = target.length() > 120 ? target.substring(0, 120) + "…" : target;
        return method + " " + shown + " → " + status;
    }

    /** The first value of a response header, or null. */
    public String responseHeader(String name) {
        List<String> v = responseHeaders.get(name.toLowerCase(Locale.ROOT));
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** The raw path and query of a URI, as they are written in a request line. */
    public static String target(URI uri) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }

    /** The body of a JDK client's response, when the test read it whole (String or byte[]); null otherwise. */
    public static byte[] bodyOf(Object body) {
        if (body instanceof byte[] b) {
            return b;
        }
        if (body instanceof String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }

    private static Map<String, List<String>> lowerCase(Map<String, List<String>> headers) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (headers != null) {
            headers.forEach((k, v) -> {
                if (k != null && v != null) {
                    out.computeIfAbsent(k.toLowerCase(Locale.ROOT), n -> new ArrayList<>()).addAll(v);
                }
            });
        }
        return out;
    }
}
