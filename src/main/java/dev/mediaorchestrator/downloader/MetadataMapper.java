package dev.mediaorchestrator.downloader;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Maps yt-dlp's info JSON to the callback's {@code metadata}:
 * <pre>
 * title      ← title
 * author     ← uploader, else channel, else uploader_id
 * thumbnail  ← thumbnail, else the last (preferred) thumbnails[].url
 * viewCount  ← view_count      (a number)
 * likeCount  ← like_count      (a number)
 * duration   ← duration        (a number, seconds; integral values as integers)
 * quality    ← the requested quality, "720p" or "1080p"
 * source     ← engineOptions.source when given, else the extractor (extractor_key lower-cased:
 *              youtube, tiktok, generic, ...), else the source derived from the URL host
 * </pre>
 * A missing, null or blank field maps to null; a number given as a numeric string becomes a number;
 * anything else that is not a number maps to null. Text is capped ({@link #capped}). The result is
 * an ordered map with all eight keys.
 */
public final class MetadataMapper {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Longest {@code title} kept, in characters (the marker included). */
    public static final int MAX_TITLE = 1000;
    /** Longest {@code author} kept. */
    public static final int MAX_AUTHOR = 256;
    /** Longest other text kept ({@code quality}, {@code source}, what another runner adds). */
    public static final int MAX_TEXT = 1000;
    /** Longest {@code thumbnail} URL kept; a longer one is left out (a URL cut short is no URL). */
    public static final int MAX_URL = 2048;
    /** What ends a text that was cut. */
    public static final String CUT = "\u2026";

    private MetadataMapper() {
    }

    /** Maps a parsed info JSON. */
    public static Map<String, Object> map(JsonNode info, DownloadOptions options) {
        return map(info, options.quality().label(), options.sourceGiven() ? options.source() : null, options.source());
    }

    /**
     * Maps with {@code quality} as given, {@code source} = {@code givenSource} when not null, else
     * the extractor, else {@code defaultSource}.
     */
    static Map<String, Object> map(JsonNode info, String quality, String givenSource, String defaultSource) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("title", text(info, "title"));
        String author = text(info, "uploader");
        if (author == null) {
            author = text(info, "channel");
        }
        if (author == null) {
            author = text(info, "uploader_id");
        }
        m.put("author", author);
        m.put("thumbnail", thumbnail(info));
        m.put("viewCount", number(info, "view_count"));
        m.put("likeCount", number(info, "like_count"));
        m.put("duration", number(info, "duration"));
        m.put("quality", quality);
        m.put("source", givenSource != null ? givenSource : source(info, defaultSource));
        return capped(m);
    }

    /**
     * {@code metadata} with every text field within its cap ({@link #MAX_TITLE}, {@link
     * #MAX_AUTHOR}, {@link #MAX_TEXT}; cut with {@link #CUT}) and a {@code thumbnail} longer than
     * {@link #MAX_URL} left out: a page's 5 MB title must not become a job record and a callback of
     * megabytes. Applied to what this mapper makes and to what any runner sends.
     */
    public static Map<String, Object> capped(Map<String, ?> metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        metadata.forEach((field, value) -> out.put(field, value instanceof String s ? cap(field, s) : value));
        return out;
    }

    private static String cap(String field, String value) {
        return switch (field) {
            case "thumbnail" -> value.length() > MAX_URL ? null : value;
            case "title" -> cut(value, MAX_TITLE);
            case "author" -> cut(value, MAX_AUTHOR);
            default -> cut(value, MAX_TEXT);
        };
    }

    /** {@code s} when it has at most {@code max} characters (code points), else its first {@code max - 1} and {@link #CUT}. */
    static String cut(String s, int max) {
        if (s.length() <= max || s.codePointCount(0, s.length()) <= max) {
            return s;
        }
        return s.substring(0, s.offsetByCodePoints(0, max - 1)) + CUT;
    }

    /** Maps an info JSON given as a map (e.g. from a Camel body). */
    public static Map<String, Object> fromInfoMap(Map<String, ?> info, DownloadOptions options) {
        JsonNode tree = MAPPER.valueToTree(info);
        return map(tree, options);
    }

    /** The top-level fields of the info JSON that {@link #map} reads. */
    private static final Set<String> FIELDS = Set.of("title", "uploader", "channel", "uploader_id", "thumbnail",
            "view_count", "like_count", "duration", "extractor_key", "extractor");

    /**
     * Reads an info JSON as a stream (an orchestrator reading {@code metadata.json} from the bucket;
     * it can be megabytes of formats) and keeps only the fields {@link #map} needs: nothing but
     * those is held, and at most {@code maxBytes} are read. A file that is malformed, cut short or
     * over the cap gives what was read before that point, never an error: the result always has
     * all eight keys, with {@code quality} and {@code source} from the options.
     */
    public static Map<String, Object> fromStream(InputStream in, long maxBytes, String quality, String givenSource, String defaultSource) {
        ObjectNode info = MAPPER.createObjectNode();
        try (JsonParser p = MAPPER.getFactory().createParser(new BufferedInputStream(capped(in, maxBytes)))) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if (value == null) {
                        break;
                    }
                    if (FIELDS.contains(field) && value.isScalarValue()) {
                        info.set(field, MAPPER.readTree(p));
                    } else if ("thumbnails".equals(field) && value == JsonToken.START_ARRAY) {
                        info.set(field, thumbnailUrls(p));
                    } else {
                        p.skipChildren();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // malformed, cut short or over the cap: keep what was read
        }
        return map(info, quality, givenSource, defaultSource);
    }

    /** {@link #fromStream(InputStream, long, String, String, String)} with the job's downloader options. */
    public static Map<String, Object> fromStream(InputStream in, long maxBytes, DownloadOptions options) {
        return fromStream(in, maxBytes, options.quality().label(), options.sourceGiven() ? options.source() : null, options.source());
    }

    /** Only the {@code url} of each element of {@code thumbnails} (the parser is at the array's start). */
    private static ArrayNode thumbnailUrls(JsonParser p) throws IOException {
        ArrayNode urls = MAPPER.createArrayNode();
        JsonToken t;
        while ((t = p.nextToken()) != null && t != JsonToken.END_ARRAY) {
            if (t == JsonToken.START_OBJECT) {
                ObjectNode one = MAPPER.createObjectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String f = p.currentName();
                    JsonToken v = p.nextToken();
                    if ("url".equals(f) && v == JsonToken.VALUE_STRING) {
                        one.put("url", p.getText());
                    } else {
                        p.skipChildren();
                    }
                }
                urls.add(one);
            } else {
                p.skipChildren();
            }
        }
        return urls;
    }

    private static InputStream capped(InputStream in, long maxBytes) {
        return new FilterInputStream(in) {
            private long left = maxBytes;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }
        };
    }

    /** Reads and maps the info JSON file yt-dlp wrote. */
    public static Map<String, Object> fromInfoFile(Path infoJson, DownloadOptions options) throws IOException {
        return map(MAPPER.readTree(infoJson.toFile()), options);
    }

    private static String source(JsonNode info, String defaultSource) {
        String extractor = text(info, "extractor_key");
        if (extractor == null) {
            extractor = text(info, "extractor");
        }
        return extractor != null ? extractor.toLowerCase(Locale.ROOT) : defaultSource;
    }

    private static String thumbnail(JsonNode info) {
        String t = text(info, "thumbnail");
        if (t != null) {
            return t;
        }
        JsonNode list = info == null ? null : info.get("thumbnails");
        if (list != null && list.isArray()) {
            for (int i = list.size() - 1; i >= 0; i--) {
                String url = text(list.get(i), "url");
                if (url != null) {
                    return url;
                }
            }
        }
        return null;
    }

    private static String text(JsonNode node, String field) {
        if (node == null) {
            return null;
        }
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || v.isContainerNode()) {
            return null;
        }
        String s = v.asText().trim();
        return s.isEmpty() ? null : s;
    }

    private static Number number(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            return normalize(v.doubleValue(), v.isIntegralNumber() ? v.longValue() : null);
        }
        if (v.isTextual()) {
            try {
                double d = Double.parseDouble(v.asText().trim());
                return normalize(d, null);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /** Integral values as Long, others as Double; NaN/infinite as null. */
    private static Number normalize(double d, Long integral) {
        if (integral != null) {
            return integral;
        }
        if (!Double.isFinite(d)) {
            return null;
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return (long) d;
        }
        return d;
    }
}
