package dev.mediaorchestrator.burner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where to cut one input into segments burned in parallel (docs/segmented-burn.md).
 *
 * <p>The input is cut into {@code ceil(duration / segmentSeconds)} segments of about equal length
 * (so N burners finish together), each cut at the keyframe nearest to its target: a segment's
 * ffmpeg seeks to a keyframe, and the cut lies halfway between that keyframe and the frame before
 * it ({@link VideoTimeline#cuts()}), so every frame belongs to exactly one segment. No segment is
 * shorter than {@code minSegmentSeconds}: a cut that would make one is not made. An input that
 * cannot be cut exactly (an irregular frame rate, frames without times, no keyframe to cut at) or
 * that is not longer than one segment is one segment, with the reason.
 *
 * @param segments in order; the first starts at 0, the last has {@code end} null (to the end of the input)
 * @param reason   why the input is one segment, else null
 */
public record SegmentPlan(double duration, int frames, int keyframes, List<Segment> segments, String reason) {
    /**
     * The largest number of segments of one input: the join's payload carries one presigned URL
     * (up to about 1 KiB) per segment, and a signed {@code /render} body is at most 256 KiB.
     */
    public static final int MAX_SEGMENTS = 200;

    /** Frames {@code [start, end)} of the input, in seconds; {@code end} null: to the end. */
    public record Segment(int index, double start, Double end) {
    }

    public SegmentPlan {
        segments = List.copyOf(segments);
    }

    /** True when the input is cut in two or more segments. */
    public boolean split() {
        return segments.size() > 1;
    }

    public static SegmentPlan choose(VideoTimeline timeline, double segmentSeconds, double minSegmentSeconds) {
        double duration = timeline.duration();
        if (timeline.frames() == 0) {
            return whole(timeline, "the input has no video frames");
        }
        int count = (int) Math.min(MAX_SEGMENTS, Math.ceil(duration / segmentSeconds - 1e-9));
        if (count < 2) {
            return whole(timeline, "the input is not longer than one segment (" + plain(segmentSeconds) + " s)");
        }
        if (timeline.untimed()) {
            return whole(timeline, "some video packets have no timestamp");
        }
        if (!timeline.regular()) {
            return whole(timeline, "the frame rate is not constant");
        }
        List<VideoTimeline.Cut> candidates = timeline.cuts();
        List<Double> cuts = new ArrayList<>();
        double previous = 0;
        for (int i = 1; i < count; i++) {
            double target = i * duration / count;
            VideoTimeline.Cut best = null;
            for (VideoTimeline.Cut c : candidates) {
                if (c.time() - previous < minSegmentSeconds || duration - c.time() < minSegmentSeconds) {
                    continue;
                }
                if (best == null || Math.abs(c.time() - target) < Math.abs(best.time() - target)) {
                    best = c;
                }
            }
            if (best != null && best.time() > previous) {
                cuts.add(best.time());
                previous = best.time();
            }
        }
        if (cuts.isEmpty()) {
            return whole(timeline, "no keyframe to cut at leaves segments of at least " + plain(minSegmentSeconds) + " s");
        }
        List<Segment> segments = new ArrayList<>();
        double start = 0;
        for (double cut : cuts) {
            segments.add(new Segment(segments.size(), start, cut));
            start = cut;
        }
        segments.add(new Segment(segments.size(), start, null));
        return new SegmentPlan(duration, timeline.frames(), timeline.keyframes(), segments, null);
    }

    private static SegmentPlan whole(VideoTimeline timeline, String reason) {
        return new SegmentPlan(timeline.duration(), timeline.frames(), timeline.keyframes(),
                List.of(new Segment(0, 0, null)), reason);
    }

    /** The plan as the plan task's {@code completed} callback carries it ({@code plan}). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("duration", duration);
        m.put("frames", frames);
        m.put("keyframes", keyframes);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Segment s : segments) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("index", s.index());
            one.put("start", s.start());
            one.put("end", s.end());
            list.add(one);
        }
        m.put("segments", list);
        if (reason != null) {
            m.put("reason", reason);
        }
        return m;
    }

    private static String plain(double seconds) {
        return FfmpegCommand.plain(seconds);
    }
}
