package dev.mediaorchestrator.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One byte range of a {@code Range} header against an object of a known size (RFC 9110 §14).
 * {@code bytes=a-b}, {@code bytes=a-} and {@code bytes=-n} are served as 206; a range that starts
 * beyond the end is unsatisfiable (416). A header that is not a single well-formed byte range
 * (another unit, several ranges, garbage) is ignored and the whole object is sent with 200, as
 * RFC 9110 allows.
 */
public record ByteRange(long start, long end, Kind kind) {
    public enum Kind { FULL, PARTIAL, UNSATISFIABLE }

    private static final Pattern SINGLE = Pattern.compile("\\s*bytes\\s*=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");

    public static ByteRange parse(String header, long size) {
        if (header == null) {
            return full(size);
        }
        Matcher m = SINGLE.matcher(header);
        if (!m.matches()) {
            return full(size);
        }
        String a = m.group(1);
        String b = m.group(2);
        try {
            if (a.isEmpty()) {
                if (b.isEmpty()) {
                    return full(size);
                }
                long suffix = Long.parseLong(b);
                if (suffix == 0 || size == 0) {
                    return new ByteRange(0, -1, Kind.UNSATISFIABLE);
                }
                return new ByteRange(Math.max(0, size - suffix), size - 1, Kind.PARTIAL);
            }
            long start = Long.parseLong(a);
            long end = b.isEmpty() ? size - 1 : Long.parseLong(b);
            if (!b.isEmpty() && end < start) {
                return full(size); // syntactically invalid: ignored
            }
            if (start >= size) {
                return new ByteRange(0, -1, Kind.UNSATISFIABLE);
            }
            return new ByteRange(start, Math.min(end, size - 1), Kind.PARTIAL);
        } catch (NumberFormatException e) {
            return full(size); // numbers too large to be positions
        }
    }

    private static ByteRange full(long size) {
        return new ByteRange(0, size - 1, Kind.FULL);
    }

    public long length() {
        return kind == Kind.UNSATISFIABLE ? 0 : end - start + 1;
    }

    public String contentRange(long size) {
        return kind == Kind.UNSATISFIABLE ? "bytes */" + size : "bytes " + start + "-" + end + "/" + size;
    }
}
