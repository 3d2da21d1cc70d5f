package dev.mediaorchestrator.burner;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The frames of an input's video as ffprobe lists its packets: each frame's presentation time on
 * the timeline the burn's filters see (ffprobe's {@code pts_time} minus the input's
 * {@code start_time}, as ffmpeg shifts it), in display order, and which frames are keyframes.
 * {@link SegmentPlan} cuts the input from it.
 *
 * <p>The listing is ffprobe's {@code compact} output of {@link #command}: one
 * {@code packet|pts_time=…|flags=K__} line per packet, then
 * {@code format|start_time=…|duration=…}. A packet without a time ({@code N/A}) or flagged
 * discard ({@code D}, not shown) is not a frame. Read line by line: a long input lists hundreds of
 * thousands of packets.
 */
public final class VideoTimeline {
    private final double[] times;
    private final boolean[] key;
    private final double duration;
    private final boolean untimed;

    private VideoTimeline(double[] times, boolean[] key, double duration, boolean untimed) {
        this.times = times;
        this.key = key;
        this.duration = duration;
        this.untimed = untimed;
    }

    /** The ffprobe argument list (no shell): the packets of the first video stream, and the format's start and duration. */
    public static List<String> command(String ffprobeBinary, Path input) {
        return List.of(ffprobeBinary, "-v", "error", "-select_streams", "v:0",
                "-show_entries", "packet=pts_time,flags:format=start_time,duration",
                "-of", "compact=p=1:nk=0", FfmpegCommand.fileUrl(input));
    }

    /** Reads {@link #command}'s output. */
    public static VideoTimeline parse(BufferedReader lines) throws IOException {
        List<double[]> frames = new ArrayList<>(); // {raw time, 1 if key}
        double start = 0;
        double duration = 0;
        boolean untimed = false;
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith("packet|")) {
                String pts = field(line, "pts_time");
                String flags = field(line, "flags");
                double t = number(pts);
                if (flags != null && flags.indexOf('D') >= 0) {
                    continue;
                }
                if (Double.isNaN(t)) {
                    untimed = true;
                    continue;
                }
                frames.add(new double[]{t, flags != null && flags.indexOf('K') >= 0 ? 1 : 0});
            } else if (line.startsWith("format|")) {
                double s = number(field(line, "start_time"));
                double d = number(field(line, "duration"));
                start = Double.isNaN(s) ? 0 : s;
                duration = Double.isNaN(d) || d < 0 ? 0 : d;
            }
        }
        frames.sort((a, b) -> Double.compare(a[0], b[0]));
        double[] times = new double[frames.size()];
        boolean[] key = new boolean[frames.size()];
        for (int i = 0; i < times.length; i++) {
            times[i] = frames.get(i)[0] - start;
            key[i] = frames.get(i)[1] == 1;
        }
        return new VideoTimeline(times, key, duration, untimed);
    }

    /** Builds a timeline directly (tests): frame times in seconds, keyframes among them, the input's duration. */
    static VideoTimeline of(double[] times, boolean[] key, double duration) {
        return new VideoTimeline(times.clone(), key.clone(), duration, false);
    }

    public int frames() {
        return times.length;
    }

    public int keyframes() {
        int n = 0;
        for (boolean k : key) {
            n += k ? 1 : 0;
        }
        return n;
    }

    /** The input's duration (the format's), else the last frame's end. */
    public double duration() {
        if (duration > 0 || times.length == 0) {
            return duration;
        }
        return times[times.length - 1] + medianInterval();
    }

    /** True when some packet had no time: such an input is not cut. */
    public boolean untimed() {
        return untimed;
    }

    /** The typical time between two frames (0 with fewer than two frames). */
    public double medianInterval() {
        if (times.length < 2) {
            return 0;
        }
        double[] d = intervals();
        Arrays.sort(d);
        return d[d.length / 2];
    }

    /**
     * Whether the frames come at a constant rate: every interval within a quarter of the median
     * (timestamps rounded to milliseconds, as Matroska stores them, pass; a dropped or doubled
     * frame does not). ffmpeg writes an MP4 at a constant rate, duplicating and dropping frames
     * of an irregular input from the first frame on; a segment would do that from its own first
     * frame, so only a regular input is cut.
     */
    public boolean regular() {
        double m = medianInterval();
        if (m <= 0) {
            return false;
        }
        for (double d : intervals()) {
            if (d < 0.75 * m || d > 1.25 * m) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the input may be cut: for every keyframe but the first frame, the time halfway
     * between it and the frame shown before it, in microseconds. No frame lies on a cut, so
     * "frames before the cut" and "frames from the cut on" are exact whatever the rounding of
     * seconds to the stream's time base.
     */
    public List<Cut> cuts() {
        List<Cut> cuts = new ArrayList<>();
        for (int i = 1; i < times.length; i++) {
            if (key[i] && times[i] > times[i - 1]) {
                cuts.add(new Cut(Math.round((times[i - 1] + times[i]) / 2 * 1e6) / 1e6, times[i]));
            }
        }
        return cuts;
    }

    /** A place to cut: {@code time} between two frames, the second of which, at {@code keyframe}, is a keyframe. */
    public record Cut(double time, double keyframe) {
    }

    private double[] intervals() {
        double[] d = new double[times.length - 1];
        for (int i = 1; i < times.length; i++) {
            d[i - 1] = times[i] - times[i - 1];
        }
        return d;
    }

    private static String field(String line, String name) {
        for (String part : line.split("\\|")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static double number(String s) {
        if (s == null) {
            return Double.NaN;
        }
        try {
            double d = Double.parseDouble(s.trim());
            return Double.isFinite(d) ? d : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN; // N/A
        }
    }
}
