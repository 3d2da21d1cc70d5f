package dev.mediaorchestrator.burner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What the burner needs to know about the input video, read from
 * {@code ffprobe -v error -print_format json -show_streams -show_format}.
 *
 * <p>Width and height are the <em>displayed</em> size of the first video stream: when the stream
 * carries a ±90° rotation (display-matrix side data or a legacy {@code rotate} tag), they are
 * swapped, because ffmpeg auto-rotates before the filter graph and the ASS script must match
 * the frames it is drawn on. The duration is the container's, else the video stream's, else 0
 * (unknown).
 */
public record FfprobeInfo(int width, int height, double durationSeconds, boolean hasAudio) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The ffprobe argument list (no shell) for {@code input}, using the {@code ffprobe} on the PATH. */
    public static List<String> command(Path input) {
        return command("ffprobe", input);
    }

    /** The ffprobe argument list (no shell) for {@code input}. */
    public static List<String> command(String ffprobeBinary, Path input) {
        return List.of(ffprobeBinary, "-v", "error", "-print_format", "json",
                "-show_streams", "-show_format", FfmpegCommand.fileUrl(input));
    }

    /**
     * Parses ffprobe's JSON.
     *
     * @throws IllegalArgumentException when the JSON is unreadable or has no video stream with a size
     */
    public static FfprobeInfo parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("ffprobe output is not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("ffprobe output is not a JSON object");
        }
        JsonNode video = null;
        boolean audio = false;
        for (JsonNode stream : root.path("streams")) {
            String type = stream.path("codec_type").asText();
            if ("video".equals(type) && video == null && !isAttachedPicture(stream)) {
                video = stream;
            } else if ("audio".equals(type)) {
                audio = true;
            }
        }
        if (video == null) {
            throw new IllegalArgumentException("input has no video stream");
        }
        int width = video.path("width").asInt(0);
        int height = video.path("height").asInt(0);
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("video stream has no size");
        }
        if (Math.abs(rotation(video)) % 180 == 90) {
            int swap = width;
            width = height;
            height = swap;
        }
        double duration = positive(root.path("format").path("duration"));
        if (duration == 0) {
            duration = positive(video.path("duration"));
        }
        return new FfprobeInfo(width, height, duration, audio);
    }

    private static boolean isAttachedPicture(JsonNode stream) {
        return stream.path("disposition").path("attached_pic").asInt(0) == 1;
    }

    private static int rotation(JsonNode video) {
        for (JsonNode side : video.path("side_data_list")) {
            if (side.has("rotation")) {
                return (int) Math.round(side.path("rotation").asDouble());
            }
        }
        String tag = video.path("tags").path("rotate").asText("");
        try {
            return tag.isEmpty() ? 0 : Integer.parseInt(tag.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static double positive(JsonNode node) {
        double d;
        try {
            d = node.isNumber() ? node.asDouble() : Double.parseDouble(node.asText("0"));
        } catch (NumberFormatException e) {
            return 0;
        }
        return Double.isFinite(d) && d > 0 ? d : 0;
    }
}
