package dev.mediaorchestrator.burner;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where {@link SegmentPlan} cuts, from timelines built by hand and from ffprobe's listing as text ({@link VideoTimeline}). */
class SegmentPlanTest {

    /** {@code seconds} of frames at {@code fps}, a keyframe every {@code gop} seconds. */
    private static VideoTimeline constant(double seconds, double fps, double gop) {
        int n = (int) Math.round(seconds * fps);
        double[] times = new double[n];
        boolean[] key = new boolean[n];
        int every = (int) Math.round(gop * fps);
        for (int i = 0; i < n; i++) {
            times[i] = i / fps;
            key[i] = i % every == 0;
        }
        return VideoTimeline.of(times, key, seconds);
    }

    /** The frame times of 12 s at 25 fps. */
    private static double[] twelveSecondsAt25() {
        double[] times = new double[300];
        for (int i = 0; i < 300; i++) {
            times[i] = i / 25.0;
        }
        return times;
    }

    /** 300 frames, keyframes at the given indexes. */
    private static boolean[] keyframesAt(int... indexes) {
        boolean[] key = new boolean[300];
        for (int i : indexes) {
            key[i] = true;
        }
        return key;
    }

    private static List<Double> starts(SegmentPlan plan) {
        return plan.segments().stream().map(SegmentPlan.Segment::start).toList();
    }

    @Test
    void cutsHalfAFrameBeforeTheKeyframesNearestToEvenTargets() {
        // 12 s at 25 fps, keyframes every 2 s, segments of 4 s: targets 4 and 8, cut between 3.96 and 4.00
        SegmentPlan plan = SegmentPlan.choose(constant(12, 25, 2), 4, 2);
        assertTrue(plan.split());
        assertEquals(List.of(0.0, 3.98, 7.98), starts(plan));
        assertEquals(3.98, plan.segments().get(0).end());
        assertEquals(7.98, plan.segments().get(1).end());
        assertNull(plan.segments().get(2).end(), "the last segment runs to the end of the input");
        assertEquals(List.of(0, 1, 2), plan.segments().stream().map(SegmentPlan.Segment::index).toList());
    }

    @Test
    void segmentsAreOfAboutEqualLengthNotARemainder() {
        // 7 min in segments of at most 5 min: two of 3.5 min (keyframes every 2 s: the nearest to 210 s)
        SegmentPlan plan = SegmentPlan.choose(constant(420, 25, 2), 300, 150 / 2.0);
        assertEquals(2, plan.segments().size());
        assertEquals(209.98, plan.segments().get(1).start(), 1e-9);
    }

    @Test
    void theNearestKeyframeWins() {
        // keyframes every 3 s: target 6 s (12 s in 2) cuts before 6 s, target 4.2 s (8.4 s in 2) before 3 s
        assertEquals(5.98, SegmentPlan.choose(constant(12, 25, 3), 6, 1).segments().get(1).start(), 1e-9);
        assertEquals(2.98, SegmentPlan.choose(constant(8.4, 25, 3), 4.2, 1).segments().get(1).start(), 1e-9);
    }

    @Test
    void noSegmentIsShorterThanTheMinimum() {
        // keyframes only at 0, 1 s and 11 s: the cuts near 4 and 8 s would leave 1 s or 11 s segments
        double[] times = twelveSecondsAt25();
        boolean[] key = keyframesAt(0, 25, 275);
        SegmentPlan plan = SegmentPlan.choose(VideoTimeline.of(times, key, 12), 4, 2);
        assertFalse(plan.split());
        assertTrue(plan.reason().contains("at least 2 s"), plan.reason());

        // with a minimum of 1 s, both remaining keyframes are usable: 0.98 → no (0.98 < 1), 10.98 → yes
        SegmentPlan looser = SegmentPlan.choose(VideoTimeline.of(times, key, 12), 4, 1);
        assertEquals(List.of(0.0, 10.98), starts(looser));
        for (SegmentPlan.Segment s : looser.segments()) {
            double end = s.end() == null ? 12 : s.end();
            assertTrue(end - s.start() >= 1, "segment " + s + " is at least the minimum");
        }
    }

    @Test
    void twoTargetsNeverShareACut() {
        // one usable keyframe (6 s) for three targets (3, 6, 9 s): one cut, two segments
        SegmentPlan plan = SegmentPlan.choose(VideoTimeline.of(twelveSecondsAt25(), keyframesAt(0, 150), 12), 3, 1);
        assertEquals(List.of(0.0, 5.98), starts(plan));
    }

    @Test
    void anInputNotLongerThanOneSegmentIsOneSegment() {
        SegmentPlan plan = SegmentPlan.choose(constant(12, 25, 2), 12, 6);
        assertFalse(plan.split());
        assertEquals(1, plan.segments().size());
        assertEquals(0, plan.segments().get(0).start());
        assertNull(plan.segments().get(0).end());
        assertTrue(plan.reason().contains("not longer than one segment"), plan.reason());
    }

    @Test
    void anIrregularFrameRateIsNotCut() {
        VideoTimeline regular = constant(12, 25, 2);
        assertTrue(regular.regular());
        double[] times = new double[299];
        boolean[] key = new boolean[299];
        for (int i = 0, j = 0; i < 300; i++) {
            if (i == 150) {
                continue; // one dropped frame: ffmpeg's constant-rate output would fill it from that frame on
            }
            times[j] = i / 25.0;
            key[j++] = i % 50 == 0;
        }
        SegmentPlan plan = SegmentPlan.choose(VideoTimeline.of(times, key, 12), 4, 2);
        assertFalse(plan.split());
        assertEquals("the frame rate is not constant", plan.reason());
    }

    @Test
    void millisecondTimestampsAreRegular() {
        // 29.97 fps stored in milliseconds (Matroska): intervals of 33 and 34 ms
        double[] times = new double[300];
        boolean[] key = new boolean[300];
        for (int i = 0; i < 300; i++) {
            times[i] = Math.round(i * 1001 / 30.0) / 1000.0;
            key[i] = i % 60 == 0;
        }
        VideoTimeline t = VideoTimeline.of(times, key, 10.01);
        assertTrue(t.regular());
        assertTrue(SegmentPlan.choose(t, 4, 2).split());
    }

    @Test
    void theListingIsReadFromFfprobesCompactOutput() throws IOException {
        // decode order (B-frames), a discarded packet, a start time of 1.4 s (an MPEG-TS input), the format last
        String listing = """
                packet|pts_time=1.400000|flags=K__
                packet|pts_time=1.480000|flags=___
                packet|pts_time=1.440000|flags=___
                packet|pts_time=1.360000|flags=__D
                packet|pts_time=1.520000|flags=K__
                packet|pts_time=1.560000|flags=___
                format|start_time=1.400000|duration=0.200000
                """;
        VideoTimeline t = VideoTimeline.parse(new BufferedReader(new StringReader(listing)));
        assertEquals(5, t.frames());
        assertEquals(2, t.keyframes());
        assertEquals(0.2, t.duration(), 1e-9);
        assertEquals(0.04, t.medianInterval(), 1e-9);
        assertTrue(t.regular());
        assertFalse(t.untimed());
        assertEquals(List.of(new VideoTimeline.Cut(0.1, 0.12)), roundCuts(t.cuts()));
    }

    @Test
    void packetsWithoutTimesMakeTheInputUncut() throws IOException {
        StringBuilder listing = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            listing.append("packet|pts_time=").append(i == 7 ? "N/A" : String.valueOf(i / 25.0))
                    .append("|flags=").append(i % 50 == 0 ? "K__" : "___").append('\n');
        }
        listing.append("format|start_time=0.000000|duration=12.000000\n");
        VideoTimeline t = VideoTimeline.parse(new BufferedReader(new StringReader(listing.toString())));
        assertTrue(t.untimed());
        SegmentPlan plan = SegmentPlan.choose(t, 4, 2);
        assertFalse(plan.split());
        assertEquals("some video packets have no timestamp", plan.reason());
    }

    @Test
    void noFramesNoCut() throws IOException {
        VideoTimeline t = VideoTimeline.parse(new BufferedReader(new StringReader("format|start_time=N/A|duration=N/A\n")));
        SegmentPlan plan = SegmentPlan.choose(t, 4, 2);
        assertFalse(plan.split());
        assertEquals("the input has no video frames", plan.reason());
    }

    @Test
    void thePlanAsTheCallbackCarriesIt() {
        Map<String, Object> m = SegmentPlan.choose(constant(12, 25, 2), 4, 2).toMap();
        assertEquals(12.0, m.get("duration"));
        assertEquals(300, m.get("frames"));
        assertEquals(6, m.get("keyframes"));
        List<?> segments = (List<?>) m.get("segments");
        assertEquals(3, segments.size());
        assertEquals(Map.of("index", 1, "start", 3.98, "end", 7.98), segments.get(1));
        assertTrue(((Map<?, ?>) segments.get(2)).containsKey("end"), "the last end is there, null");
        assertNull(((Map<?, ?>) segments.get(2)).get("end"));
        assertFalse(m.containsKey("reason"));
    }

    @Test
    void atMostTheLargestNumberOfSegments() {
        // 1000 s in segments of 1 s would be 1000 segments: the count is capped
        SegmentPlan plan = SegmentPlan.choose(constant(1000, 5, 1), 1, 0.5);
        assertEquals(SegmentPlan.MAX_SEGMENTS, plan.segments().size());
    }

    private static List<VideoTimeline.Cut> roundCuts(List<VideoTimeline.Cut> cuts) {
        return cuts.stream().map(c -> new VideoTimeline.Cut(Math.round(c.time() * 1e6) / 1e6, Math.round(c.keyframe() * 1e6) / 1e6)).toList();
    }
}
