package dev.mediaorchestrator.downloader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

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
 * anything else that is not a number maps to null. The result is an ordered map with all eight keys.
 */
public final class MetadataMapper {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private MetadataMapper() {
    }

    /** Maps a parsed info JSON. */
    public static Map<String, Object> map(JsonNode info, DownloadOptions options) {
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
        m.put("quality", options.quality().label());
        m.put("source", source(info, options));
        return m;
    }

    /** Maps an info JSON given as a map (e.g. from a Camel body). */
    public static Map<String, Object> fromInfoMap(Map<String, ?> info, DownloadOptions options) {
        JsonNode tree = MAPPER.valueToTree(info);
        return map(tree, options);
    }

    /** Reads and maps the info JSON file yt-dlp wrote. */
    public static Map<String, Object> fromInfoFile(Path infoJson, DownloadOptions options) throws IOException {
        return map(MAPPER.readTree(infoJson.toFile()), options);
    }

    private static String source(JsonNode info, DownloadOptions options) {
        if (options.sourceGiven()) {
            return options.source();
        }
        String extractor = text(info, "extractor_key");
        if (extractor == null) {
            extractor = text(info, "extractor");
        }
        return extractor != null ? extractor.toLowerCase(Locale.ROOT) : options.source();
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
