package dev.mediaorchestrator.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Media helpers for tests that run the real ffmpeg/ffprobe: generate a clip, probe it, grab a
 * frame as RGB, measure loudness over an interval, list MP4 top-level boxes, and per-test temp
 * directories. Everything is stateless and safe for tests running in parallel.
 *
 * <pre>{@code
 * try (TestMedia.TempDir dir = TestMedia.tempDir("burn")) {
 *     Path clip = TestMedia.generateClip(dir.resolve("in.mp4"), 4, true);
 *     TestMedia.RgbFrame frame = TestMedia.frameAt(clip, 1.0);
 *     double db = TestMedia.maxVolumeDb(clip, 0.5, 1.5);
 * }
 * }</pre>
 */
public final class TestMedia {

    public static final int DEFAULT_WIDTH = 320;
    public static final int DEFAULT_HEIGHT = 180;
    public static final int DEFAULT_FPS = 25;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern MAX_VOLUME = Pattern.compile("max_volume:\\s*(-?inf|-?[0-9.]+) dB");

    private TestMedia() {
    }

    // ---------------------------------------------------------------- temp dirs

    /** A fresh directory under {@code java.io.tmpdir}; {@link #close()} deletes it with its content. */
    public static final class TempDir implements AutoCloseable {
        private final Path path;

        private TempDir(Path path) {
            this.path = path;
        }

        public Path path() {
            return path;
        }

        public Path resolve(String name) {
            return path.resolve(name);
        }

        @Override
        public void close() {
            deleteRecursively(path);
        }

        @Override
        public String toString() {
            return path.toString();
        }
    }

    /**
     * Creates a directory {@code java.io.tmpdir/<prefix><random>}. The prefix may contain any
     * character a file name may (spaces, colons, quotes…), which is what path-escaping tests need.
     */
    public static TempDir tempDir(String prefix) {
        try {
            return new TempDir(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a file or a directory tree; a missing path is fine. */
    public static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + root, e);
        }
    }

    // ---------------------------------------------------------------- processes

    /** Exit code and the two output streams of a finished process. */
    public record ProcessResult(int exitCode, byte[] stdout, String stderr) {
        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /** Runs a command (no shell) to completion; a non-zero exit is returned, not thrown. */
    public static ProcessResult run(List<String> command, Duration timeout) {
        try {
            Process process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            StreamCollector out = new StreamCollector(process.getInputStream());
            StreamCollector err = new StreamCollector(process.getErrorStream());
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError("timed out after " + timeout + ": " + command);
            }
            return new ProcessResult(process.exitValue(), out.bytes(),
                    new String(err.bytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
    }

    /** Runs a command and fails the test (with ffmpeg's stderr) unless it exits 0. */
    public static ProcessResult runChecked(List<String> command) {
        ProcessResult result = run(command, DEFAULT_TIMEOUT);
        if (result.exitCode() != 0) {
            throw new AssertionError("exit " + result.exitCode() + " from " + command + "\n" + result.stderr());
        }
        return result;
    }

    private static final class StreamCollector {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final Thread thread;

        StreamCollector(InputStream in) {
            thread = new Thread(() -> {
                try (in) {
                    in.transferTo(buffer);
                } catch (IOException ignored) {
                    // the process ended; whatever was read is kept
                }
            }, "test-media-stream");
            thread.setDaemon(true);
            thread.start();
        }

        byte[] bytes() throws InterruptedException {
            thread.join();
            return buffer.toByteArray();
        }
    }

    // ---------------------------------------------------------------- generation and probing

    /** A {@code testsrc2} clip of the default 320×180 at 25 fps, with a 440 Hz sine when {@code withAudio}. */
    public static Path generateClip(Path file, double seconds, boolean withAudio) {
        return generateClip(file, DEFAULT_WIDTH, DEFAULT_HEIGHT, seconds, withAudio);
    }

    /**
     * Writes an H.264/AAC MP4 with moving {@code testsrc2} video (never black, never flat) and,
     * when {@code withAudio}, a 440 Hz sine at about −18 dBFS.
     */
    public static Path generateClip(Path file, int width, int height, double seconds, boolean withAudio) {
        return generateClip(file, "testsrc2=s=" + width + "x" + height + ":r=" + DEFAULT_FPS, seconds, withAudio);
    }

    /**
     * Like {@link #generateClip(Path, int, int, double, boolean)} with any lavfi video source
     * description, for example {@code color=c=gray:s=640x360:r=25} for a flat frame.
     */
    public static Path generateClip(Path file, String lavfiVideo, double seconds, boolean withAudio) {
        String d = String.format(Locale.ROOT, "%.3f", seconds);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
                "-f", "lavfi", "-i", lavfiVideo + ":d=" + d));
        if (withAudio) {
            cmd.addAll(List.of("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=" + d));
        }
        cmd.addAll(List.of("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"));
        if (withAudio) {
            cmd.addAll(List.of("-c:a", "aac", "-b:a", "128k"));
        }
        cmd.addAll(List.of("-f", "mp4", fileUrl(file)));
        runChecked(cmd);
        return file;
    }

    /** {@code ffprobe -show_streams -show_format} as JSON. */
    public static JsonNode probe(Path media) {
        ProcessResult r = runChecked(List.of("ffprobe", "-v", "error", "-print_format", "json",
                "-show_streams", "-show_format", fileUrl(media)));
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The streams of one {@code codec_type} ({@code video}, {@code audio}) from {@link #probe(Path)}. */
    public static List<JsonNode> streams(JsonNode probe, String codecType) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode s : probe.path("streams")) {
            if (codecType.equals(s.path("codec_type").asText())) {
                out.add(s);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- frames

    /** An axis-aligned rectangle of pixels: {@code [x, x+width) × [y, y+height)}. */
    public record Rect(int x, int y, int width, int height) {
    }

    /** One decoded frame as packed RGB24. */
    public record RgbFrame(int width, int height, byte[] rgb) {

        public Rect full() {
            return new Rect(0, 0, width, height);
        }

        /** Full-width band of rows {@code [fromY, toY)}. */
        public Rect rows(int fromY, int toY) {
            return new Rect(0, fromY, width, toY - fromY);
        }

        /** Channel {@code c} (0 red, 1 green, 2 blue) of pixel (x, y), 0..255. */
        public int channel(int x, int y, int c) {
            return rgb[(y * width + x) * 3 + c] & 0xff;
        }

        /** The brightest channel value in the rectangle (0 for pure black). */
        public int maxChannel(Rect r) {
            int max = 0;
            for (int y = r.y(); y < r.y() + r.height(); y++) {
                for (int x = r.x(); x < r.x() + r.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        max = Math.max(max, channel(x, y, c));
                    }
                }
            }
            return max;
        }

        /** Mean of all channel values in the rectangle. */
        public double mean(Rect r) {
            long sum = 0;
            for (int y = r.y(); y < r.y() + r.height(); y++) {
                for (int x = r.x(); x < r.x() + r.width(); x++) {
                    sum += channel(x, y, 0) + channel(x, y, 1) + channel(x, y, 2);
                }
            }
            return sum / (3.0 * r.width() * r.height());
        }

        /** Pixels in the rectangle where some channel differs from {@code other} by more than {@code tolerance}. */
        public long countDiffering(RgbFrame other, Rect r, int tolerance) {
            requireSameSize(other);
            long count = 0;
            for (int y = r.y(); y < r.y() + r.height(); y++) {
                for (int x = r.x(); x < r.x() + r.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        if (Math.abs(channel(x, y, c) - other.channel(x, y, c)) > tolerance) {
                            count++;
                            break;
                        }
                    }
                }
            }
            return count;
        }

        /** Mean absolute difference to {@code other} over all channels of the rectangle. */
        public double meanAbsDiff(RgbFrame other, Rect r) {
            requireSameSize(other);
            long sum = 0;
            for (int y = r.y(); y < r.y() + r.height(); y++) {
                for (int x = r.x(); x < r.x() + r.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        sum += Math.abs(channel(x, y, c) - other.channel(x, y, c));
                    }
                }
            }
            return sum / (3.0 * r.width() * r.height());
        }

        /** Pixels in the rectangle whose channels are all within {@code tolerance} of the given colour. */
        public long countNear(Rect r, int red, int green, int blue, int tolerance) {
            long count = 0;
            for (int y = r.y(); y < r.y() + r.height(); y++) {
                for (int x = r.x(); x < r.x() + r.width(); x++) {
                    if (Math.abs(channel(x, y, 0) - red) <= tolerance
                            && Math.abs(channel(x, y, 1) - green) <= tolerance
                            && Math.abs(channel(x, y, 2) - blue) <= tolerance) {
                        count++;
                    }
                }
            }
            return count;
        }

        private void requireSameSize(RgbFrame other) {
            if (other.width != width || other.height != height) {
                throw new IllegalArgumentException("frame sizes differ: " + width + "x" + height
                        + " vs " + other.width + "x" + other.height);
            }
        }
    }

    /** The frame shown at {@code seconds} (accurate seek), decoded to RGB24 at the video's size. */
    public static RgbFrame frameAt(Path video, double seconds) {
        JsonNode v = streams(probe(video), "video").get(0);
        int width = v.path("width").asInt();
        int height = v.path("height").asInt();
        ProcessResult r = runChecked(List.of("ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                "-ss", String.format(Locale.ROOT, "%.3f", seconds), "-i", fileUrl(video),
                "-map", "0:v:0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"));
        if (r.stdout().length != width * height * 3) {
            throw new AssertionError("expected one " + width + "x" + height + " frame at " + seconds
                    + " s, got " + r.stdout().length + " bytes");
        }
        return new RgbFrame(width, height, r.stdout());
    }

    // ---------------------------------------------------------------- audio

    /**
     * {@code volumedetect}'s max_volume in dB over {@code [from, to)} seconds of the first audio
     * stream; {@link Double#NEGATIVE_INFINITY} for digital silence reported as {@code -inf}.
     */
    public static double maxVolumeDb(Path media, double fromSeconds, double toSeconds) {
        ProcessResult r = runChecked(List.of("ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-v", "info",
                "-ss", String.format(Locale.ROOT, "%.3f", fromSeconds),
                "-t", String.format(Locale.ROOT, "%.3f", toSeconds - fromSeconds),
                "-i", fileUrl(media), "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"));
        Matcher m = MAX_VOLUME.matcher(r.stderr());
        if (!m.find()) {
            throw new AssertionError("no max_volume in volumedetect output:\n" + r.stderr());
        }
        String value = m.group(1);
        return value.endsWith("inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(value);
    }

    // ---------------------------------------------------------------- MP4

    /** The four-character types of the top-level boxes of an MP4/ISO-BMFF file, in file order. */
    public static List<String> topLevelBoxes(Path mp4) {
        List<String> types = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(mp4, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = 0;
            ByteBuffer header = ByteBuffer.allocate(16);
            while (pos + 8 <= size) {
                header.clear().limit(8);
                readFully(ch, header, pos);
                header.flip();
                long boxSize = header.getInt() & 0xffffffffL;
                byte[] type = new byte[4];
                header.get(type);
                types.add(new String(type, StandardCharsets.ISO_8859_1));
                if (boxSize == 1) {
                    header.clear().limit(8);
                    readFully(ch, header, pos + 8);
                    header.flip();
                    boxSize = header.getLong();
                } else if (boxSize == 0) {
                    boxSize = size - pos;
                }
                if (boxSize < 8) {
                    throw new AssertionError("corrupt box size " + boxSize + " at " + pos + " in " + mp4);
                }
                pos += boxSize;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return types;
    }

    private static void readFully(FileChannel ch, ByteBuffer buffer, long position) throws IOException {
        long p = position;
        while (buffer.hasRemaining()) {
            int n = ch.read(buffer, p);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + p);
            }
            p += n;
        }
    }

    /** {@code file:} + absolute path, so ffmpeg never reads a colon in a path as a protocol. */
    public static String fileUrl(Path path) {
        return "file:" + path.toAbsolutePath().normalize();
    }
}
