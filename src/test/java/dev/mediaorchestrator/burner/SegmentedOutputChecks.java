package dev.mediaorchestrator.burner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mediaorchestrator.testutil.TestMedia;
import dev.mediaorchestrator.testutil.TestMedia.Rect;
import dev.mediaorchestrator.testutil.TestMedia.RgbFrame;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the segmented-burn tests check on a joined output against the single run of the same burn
 * (issue 32): the media they share, and the assertions, used by {@link SegmentedBurnTest} (the
 * commands run directly), {@link BurnerSegmentsRouteTest} (through the runner over HTTP) and
 * {@code scale.SegmentedBurnJobTest} (through the orchestrator and two burners).
 *
 * <p>The input: 12 s of 320×180 {@code testsrc2} at 25 fps with a keyframe every 2 s (x264
 * {@code veryfast}: B-frames, as real inputs have) and a 440 Hz tone. Cut in segments of about
 * 4 s, it is cut just before the keyframes at 4 s and 8 s. The cue (3–5 s) crosses the first cut;
 * the black, muted span with its hint text (7–9 s) crosses the second.
 */
public final class SegmentedOutputChecks {
    static final double SECONDS = 12;
    static final double FRAME = 1 / 25.0;
    static final double[] CUTS = {3.98, 7.98};
    public static final String VTT = "WEBVTT\n\n00:03.000 --> 00:05.000\nAcross the cut\n跨越切点\n";
    public static final Map<String, Object> SUBTITLE_CONFIG = Map.of(
            "timeSegmentEffects", List.of(Map.of("startTime", 7, "endTime", 9, "blackScreen", true, "muteAudio", true)),
            "hintTextConfig", Map.of("enabled", true, "text", "已屏蔽", "fontSize", 200, "textColor", "#ffff00", "position", "center"));
    static final int W = 320;
    static final int H = 180;
    private static final Rect BOTTOM_THIRD = new Rect(0, 120, W, 60);

    private SegmentedOutputChecks() {
    }

    /** The input described above. */
    public static Path generateInput(Path file) {
        TestMedia.runChecked(List.of("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=s=" + W + "x" + H + ":r=25:d=12",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=12",
                "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-f", "mp4", TestMedia.fileUrl(file)));
        return file;
    }

    /** Everything the issue asks of a joined output, against the single run ({@code work}: a temp dir for the comparison's files). */
    public static void assertSameAsSingleRun(Path joined, Path single, Path input, Path work) {
        assertContractStreamsAndFaststart(joined);
        assertSameFrames(joined, single, work);
        assertSameAudio(joined, single);
        assertMutedAcrossTheCut(joined);
        assertCueOnBothSidesOfTheCut(joined, input);
        assertBlackWithHintOnBothSidesOfTheCut(joined);
    }

    static void assertContractStreamsAndFaststart(Path out) {
        JsonNode probe = TestMedia.probe(out);
        List<JsonNode> video = TestMedia.streams(probe, "video");
        List<JsonNode> audio = TestMedia.streams(probe, "audio");
        assertEquals(1, video.size(), "one video stream");
        assertEquals("h264", video.get(0).path("codec_name").asText());
        assertEquals("yuv420p", video.get(0).path("pix_fmt").asText());
        assertEquals(W, video.get(0).path("width").asInt());
        assertEquals(H, video.get(0).path("height").asInt());
        assertEquals(1, audio.size(), "one audio stream");
        assertEquals("aac", audio.get(0).path("codec_name").asText());
        List<String> boxes = TestMedia.topLevelBoxes(out);
        assertTrue(boxes.indexOf("moov") >= 0 && boxes.indexOf("moov") < boxes.indexOf("mdat"), "faststart: moov before mdat " + boxes);
    }

    /**
     * The same frames at the same times (so the same duration and the same place against the
     * audio, to the frame), each of them at PSNR ≥ 40 dB against the single run's, those on both
     * sides of every cut included.
     */
    static void assertSameFrames(Path joined, Path single, Path work) {
        List<Double> joinedTimes = frameTimes(joined);
        List<Double> singleTimes = frameTimes(single);
        assertEquals(singleTimes.size(), joinedTimes.size(), "frame count");
        assertEquals(singleTimes, joinedTimes, "every frame at the single run's time");
        JsonNode j = TestMedia.probe(joined);
        JsonNode s = TestMedia.probe(single);
        assertEquals(s.path("format").path("duration").asDouble(), j.path("format").path("duration").asDouble(), FRAME, "duration");
        assertEquals(TestMedia.streams(s, "video").get(0).path("duration").asDouble(),
                TestMedia.streams(j, "video").get(0).path("duration").asDouble(), FRAME, "video duration");

        List<Double> psnr = psnrPerFrame(joined, single, work.resolve("psnr.log"));
        assertEquals(singleTimes.size(), psnr.size(), "every frame compared");
        for (int i = 0; i < psnr.size(); i++) {
            assertTrue(psnr.get(i) >= 40, "frame " + i + " at " + singleTimes.get(i) + " s: PSNR " + psnr.get(i) + " dB");
        }
        for (double cut : CUTS) {
            int after = (int) Math.round((cut + FRAME / 2) / FRAME); // the keyframe the cut is before
            for (int i = after - 2; i <= after + 1; i++) {
                assertTrue(psnr.get(i) >= 40, "around the cut at " + cut + " s, frame " + i + ": " + psnr.get(i));
            }
        }
    }

    /** The very samples of the single run's audio, from the same start: encoded once, over the whole input. */
    static void assertSameAudio(Path joined, Path single) {
        assertEquals(audioMd5(single), audioMd5(joined), "decoded audio identical to the single run's");
        assertEquals(TestMedia.streams(TestMedia.probe(single), "audio").get(0).path("start_time").asText(),
                TestMedia.streams(TestMedia.probe(joined), "audio").get(0).path("start_time").asText(), "audio start");
    }

    /** The muted span (7–9 s) is silent across the cut at 7.98 s, the tone plays on both sides of it. */
    static void assertMutedAcrossTheCut(Path joined) {
        double muted = TestMedia.maxVolumeDb(joined, 7.05, 8.95);
        assertTrue(muted <= -90, "muted 7.05..8.95 s across the cut, but max_volume " + muted + " dB");
        double before = TestMedia.maxVolumeDb(joined, 6.0, 6.9);
        double after = TestMedia.maxVolumeDb(joined, 9.1, 10.0);
        assertTrue(before > -30 && after > -30, "audible around the muted span: " + before + ", " + after + " dB");
    }

    /** The cue (3–5 s) is drawn in the frames just before the cut at 3.98 s and just after it, and not after 5 s. */
    static void assertCueOnBothSidesOfTheCut(Path joined, Path input) {
        for (double t : new double[]{3.5, 3.96, 4.0, 4.04, 4.5}) {
            long drawn = TestMedia.frameAt(joined, t).countDiffering(TestMedia.frameAt(input, t), BOTTOM_THIRD, 40);
            assertTrue(drawn > 150, "cue drawn at " + t + " s: " + drawn + " pixels differ from the input's frame");
        }
        for (double t : new double[]{2.9, 5.1}) {
            long drawn = TestMedia.frameAt(joined, t).countDiffering(TestMedia.frameAt(input, t), BOTTOM_THIRD, 40);
            assertTrue(drawn < 50, "no cue at " + t + " s: " + drawn + " pixels differ");
        }
    }

    /** Black with the hint text (centred, yellow) just before and just after the cut at 7.98 s. */
    static void assertBlackWithHintOnBothSidesOfTheCut(Path joined) {
        for (double t : new double[]{7.2, 7.92, 7.96, 8.0, 8.04, 8.8}) {
            RgbFrame frame = TestMedia.frameAt(joined, t);
            for (Rect r : List.of(new Rect(0, 0, W, 60), new Rect(0, 125, W, 55))) {
                assertTrue(frame.maxChannel(r) <= 24, "black at " + t + " s in " + r + ", max " + frame.maxChannel(r));
            }
            long yellow = frame.countNear(new Rect(0, 60, W, 65), 255, 255, 0, 70);
            assertTrue(yellow > 30, "hint text at " + t + " s: " + yellow + " yellow pixels");
        }
        assertTrue(TestMedia.frameAt(joined, 9.2).mean(new Rect(0, 0, W, H)) > 40, "picture back after 9 s");
    }

    /** The presentation times of the first video stream's frames, in microseconds-rounded seconds. */
    static List<Double> frameTimes(Path media) {
        String out = TestMedia.runChecked(List.of("ffprobe", "-v", "error", "-select_streams", "v:0",
                "-show_entries", "frame=pts_time", "-of", "csv=p=0", TestMedia.fileUrl(media))).stdoutText();
        List<Double> times = new ArrayList<>();
        for (String line : out.split("\n")) {
            String t = line.replace(",", "").trim();
            if (!t.isEmpty()) {
                times.add(Double.parseDouble(t));
            }
        }
        return times;
    }

    /** ffmpeg's psnr filter, frame by frame ({@code +∞} for identical frames). */
    static List<Double> psnrPerFrame(Path a, Path b, Path statsFile) {
        TestMedia.runChecked(List.of("ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                "-i", TestMedia.fileUrl(a), "-i", TestMedia.fileUrl(b),
                "-lavfi", "[0:v:0][1:v:0]" + FilterEscaping.filter("psnr", "stats_file", statsFile.toString()), "-f", "null", "-"));
        List<Double> values = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(statsFile)) {
                for (String part : line.split(" ")) {
                    if (part.startsWith("psnr_avg:")) {
                        String v = part.substring("psnr_avg:".length());
                        values.add(v.equals("inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(v));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return values;
    }

    /** The MD5 of the first audio stream's decoded samples. */
    static String audioMd5(Path media) {
        return TestMedia.runChecked(List.of("ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", TestMedia.fileUrl(media),
                "-map", "0:a:0", "-f", "md5", "-")).stdoutText().trim();
    }
}
