package dev.mediaorchestrator.burner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mediaorchestrator.burner.FfmpegCommand.BurnRequest;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.testutil.TestMedia;
import dev.mediaorchestrator.testutil.TestMedia.ProcessResult;
import dev.mediaorchestrator.testutil.TestMedia.Rect;
import dev.mediaorchestrator.testutil.TestMedia.RgbFrame;
import dev.mediaorchestrator.testutil.TestMedia.TempDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs the commands {@link FfmpegCommand} builds on a generated 4-second 320×180 clip and checks
 * the output's pixels and samples.
 *
 * <p>Timeline: the cue is shown 0–2 s; effect segments cover 1.5–3 s. So 1.0 s has the cue
 * and no effect, 1.8 s has cue and effect, 2.5 s has only the effect, 3.5 s has neither.
 *
 * <p>Most renders use {@code crf 0} (x264's lossless mode) with the {@code ultrafast} preset, so
 * an output frame equals the filter graph's output exactly and can be compared with the source
 * frame with zero tolerance: "the cue changes the bottom third only" is checked as "every pixel
 * of the top two thirds is identical to the source". {@link #contractDefaultsProduceTheSameLayout}
 * runs the real contract parameters (medium, crf 18), where encoding noise differs, and compares
 * against a render of an empty cue list with the same parameters, with a stated tolerance.
 */
@IntegrationTest
class FfmpegRenderTest {

    private static final int W = 320;
    private static final int H = 180;
    private static final Rect TOP_TWO_THIRDS = new Rect(0, 0, W, 120);
    private static final Rect BOTTOM_THIRD = new Rect(0, 120, W, 60);
    private static final String CUE_VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nHello world\n你好世界\n";
    private static final String NO_CUES_VTT = "WEBVTT\n";
    private static final FfmpegCommand LOSSLESS_FAST = new FfmpegCommand("ffmpeg", "ultrafast", 0);

    private static TempDir sources;
    private static Path source;
    private static FfprobeInfo sourceInfo;

    private TempDir work;

    @BeforeAll
    static void generateSource() {
        sources = TestMedia.tempDir("burner-render-src-");
        source = TestMedia.generateClip(sources.resolve("source.mp4"), 4, true);
        sourceInfo = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(source)).stdoutText());
    }

    @AfterAll
    static void deleteSource() {
        sources.close();
    }

    @BeforeEach
    void createWorkDir() {
        work = TestMedia.tempDir("burner-render-");
    }

    @AfterEach
    void deleteWorkDir() {
        work.close();
        assertTrue(Files.notExists(work.path()));
    }

    // ------------------------------------------------------------------ the four scenarios

    @Test
    void noEffects() throws IOException {
        Path out = render(work.path(), CUE_VTT, SubtitleConfig.defaults(), LOSSLESS_FAST);
        assertContractStreamsAndFaststart(out);

        assertCueInBottomThirdOnly(out, 1.0);
        assertIdenticalToSource(out, 2.5);
        assertIdenticalToSource(out, 3.5);
        assertLoud(out, 0.2, 3.8);
    }

    @Test
    void blackScreenOnly() throws IOException {
        Path out = render(work.path(), CUE_VTT, config(true, false, null), LOSSLESS_FAST);
        assertContractStreamsAndFaststart(out);

        assertCueInBottomThirdOnly(out, 1.0);
        assertBlack(out, 1.8, List.of(new Rect(0, 0, W, H)));   // the cue is hidden under the black
        assertBlack(out, 2.5, List.of(new Rect(0, 0, W, H)));
        assertIdenticalToSource(out, 3.5);
        assertLoud(out, 1.7, 2.8);                                // audio untouched
    }

    @Test
    void muteOnly() throws IOException {
        Path out = render(work.path(), CUE_VTT, config(false, true, null), LOSSLESS_FAST);
        assertContractStreamsAndFaststart(out);

        assertCueInBottomThirdOnly(out, 1.0);
        assertCueInBottomThirdOnly(out, 1.8);                     // video untouched
        assertIdenticalToSource(out, 2.5);
        assertSilent(out, 1.7, 2.8);
        assertLoud(out, 0.2, 1.3);
        assertLoud(out, 3.2, 3.9);
    }

    @Test
    void blackAndMuteWithHintText() throws IOException {
        Map<String, Object> hint = Map.of("enabled", true, "text", "已屏蔽", "fontSize", 200,
                "textColor", "#ffff00", "position", "center");
        Path out = render(work.path(), CUE_VTT, config(true, true, hint), LOSSLESS_FAST);
        assertContractStreamsAndFaststart(out);

        assertCueInBottomThirdOnly(out, 1.0);
        for (double t : new double[] {1.8, 2.5}) {
            // hint size 200 × 180/1080 ≈ 33 px, centred: rows ~73..107; away from it all is black
            assertBlack(out, t, List.of(new Rect(0, 0, W, 60), new Rect(0, 125, W, 55)));
            assertHintPixels(out, t, new Rect(0, 60, W, 65));
        }
        assertIdenticalToSource(out, 3.5);
        assertSilent(out, 1.7, 2.8);
        assertLoud(out, 0.2, 1.3);
        assertLoud(out, 3.2, 3.9);
    }

    @ParameterizedTest(name = "hint at {0}")
    @CsvSource({"top, 0, 60", "center, 60, 120", "bottom, 120, 180"})
    void hintPositions(String position, int fromRow, int toRow) throws IOException {
        Map<String, Object> hint = Map.of("enabled", true, "text", "HINT 提示", "fontSize", 150,
                "textColor", "#ffff00", "position", position);
        Path out = render(work.path(), NO_CUES_VTT, config(true, false, hint), LOSSLESS_FAST);
        RgbFrame frame = TestMedia.frameAt(out, 2.5);
        long inBand = frame.countNear(frame.rows(fromRow, toRow), 255, 255, 0, 70);
        long everywhere = frame.countNear(frame.full(), 255, 255, 0, 70);
        assertTrue(inBand > 30, "hint pixels in rows " + fromRow + ".." + toRow + ": " + inBand);
        assertEquals(everywhere, inBand, "all hint pixels lie in rows " + fromRow + ".." + toRow);
    }

    /**
     * The background box is libass BorderStyle 4, painted in BackColour: on a flat grey frame the
     * configured box colour appears at the configured opacity (none at opacity 0), the outline
     * keeps its own colour, and the top two thirds are untouched.
     */
    @ParameterizedTest(name = "backgroundOpacity {0}")
    @CsvSource({"1, 0, 0, 255", "0.5, 64, 64, 191", "0, -1, -1, -1"})
    void backgroundBoxAndOutlineShowTheirColours(double opacity, int boxR, int boxG, int boxB) throws IOException {
        Path grey = TestMedia.generateClip(work.resolve("grey.mp4"), "color=c=gray:s=1280x720:r=25", 1, false);
        FfprobeInfo info = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(grey)).stdoutText());
        SubtitleConfig config = SubtitleConfig.fromMap(Map.of("fontSize", 72, "textColor", "#ffffff",
                "outlineColor", "#ff0000", "outlineOpacity", 1,
                "backgroundColor", "#0000ff", "backgroundOpacity", opacity));
        Path ass = work.resolve("subs.ass");
        Files.writeString(ass, new VttToAss(config).convert(CUE_VTT, 1280, 720));
        Path out = work.resolve("out.mp4");
        TestMedia.runChecked(LOSSLESS_FAST.build(new BurnRequest(grey, ass, out, null, info, config)));

        RgbFrame frame = TestMedia.frameAt(out, 0.5);
        RgbFrame source = TestMedia.frameAt(grey, 0.5);
        Rect bottom = frame.rows(480, 720);
        assertEquals(0, frame.countDiffering(source, frame.rows(0, 480), 0), "top two thirds untouched");
        assertTrue(frame.countNear(bottom, 255, 255, 255, 30) > 500, "white text");
        assertTrue(frame.countNear(bottom, 255, 0, 0, 60) > 200, "red outline");
        long boxBlue = frame.countNear(bottom, 0, 0, 255, 40) + frame.countNear(bottom, 64, 64, 191, 25);
        if (boxR < 0) {
            assertEquals(0, boxBlue, "no box at opacity 0");
        } else {
            assertTrue(frame.countNear(bottom, boxR, boxG, boxB, 25) > 5000, "box colour at opacity " + opacity);
        }
    }

    // ------------------------------------------------------------------ paths, audio-less input, defaults

    @Test
    void workDirWithSpaceColonQuoteCommaBracketsAndBackslash() throws IOException {
        try (TempDir nasty = TestMedia.tempDir("burn dir: it's, [x]; a\\b {y} %d ")) {
            Map<String, Object> hint = Map.of("enabled", true, "text", "it's 100%: a, b; [c] \\ {d}",
                    "textColor", "#ffff00", "fontSize", 150);
            Path out = render(nasty.path(), CUE_VTT, config(true, true, hint), LOSSLESS_FAST);
            assertTrue(Files.size(out) > 0);
            assertTrue(Files.size(nasty.resolve("progress.txt")) > 0, "progress file written in the same dir");
            assertContractStreamsAndFaststart(out);
            assertCueInBottomThirdOnly(out, 1.0);                 // the ASS file was found and read
            assertBlack(out, 2.5, List.of(new Rect(0, 0, W, 60), new Rect(0, 125, W, 55)));
            assertHintPixels(out, 2.5, new Rect(0, 60, W, 65));
            assertSilent(out, 1.7, 2.8);
        }
    }

    @Test
    void inputWithoutAudioGivesVideoOnlyAndProgressOnStdout() throws IOException {
        Path silentSource = TestMedia.generateClip(work.resolve("noaudio.mp4"), 2, false);
        FfprobeInfo info = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(silentSource)).stdoutText());
        assertEquals(false, info.hasAudio());
        Path ass = work.resolve("subs.ass");
        Files.writeString(ass, new VttToAss(SubtitleConfig.defaults()).convert(CUE_VTT, W, H));
        Path out = work.resolve("out.mp4");
        ProcessResult result = TestMedia.runChecked(LOSSLESS_FAST.build(
                new BurnRequest(silentSource, ass, out, null, info, config(true, true, null))));

        JsonNode probe = TestMedia.probe(out);
        assertEquals(1, TestMedia.streams(probe, "video").size());
        assertEquals(0, TestMedia.streams(probe, "audio").size());
        List<FfmpegProgress.Snapshot> progress = FfmpegProgress.parseAll(result.stdoutText());
        assertTrue(progress.get(progress.size() - 1).end(), "progress=end on stdout");
    }

    /**
     * The contract's own parameters (medium, crf 18). Encoding noise differs between two renders
     * whose bottom thirds differ (rate control and motion search see different content), so the
     * frame is compared with an empty-cue render of the same parameters, with tolerances measured
     * on this clip: in the top two thirds the noise is a mean difference of about 0.5 levels and
     * at most ~10 pixels off by more than 40 levels (at the sharp edges of testsrc2's counter and
     * in the macroblock row above y=120); the cue makes more than a thousand pixels of the bottom
     * third differ by more than 40 levels. The limits are set between these with a wide margin.
     */
    @Test
    void contractDefaultsProduceTheSameLayout() throws IOException {
        FfmpegCommand defaults = new FfmpegCommand();
        Path withCue = render(work.path(), CUE_VTT, SubtitleConfig.defaults(), defaults);
        assertContractStreamsAndFaststart(withCue);
        Path baselineDir = Files.createDirectory(work.resolve("baseline"));
        Path withoutCue = render(baselineDir, NO_CUES_VTT, SubtitleConfig.defaults(), defaults);

        RgbFrame cue = TestMedia.frameAt(withCue, 1.0);
        RgbFrame plain = TestMedia.frameAt(withoutCue, 1.0);
        assertTrue(cue.meanAbsDiff(plain, TOP_TWO_THIRDS) < 1.5, "mean noise in top two thirds");
        assertTrue(cue.countDiffering(plain, TOP_TWO_THIRDS, 40) <= 80, "strong differences in top two thirds: "
                + cue.countDiffering(plain, TOP_TWO_THIRDS, 40));
        assertTrue(cue.meanAbsDiff(plain, BOTTOM_THIRD) > 3, "mean difference in bottom third");
        assertTrue(cue.countDiffering(plain, BOTTOM_THIRD, 40) > 500, "cue visible in bottom third");
    }

    // ------------------------------------------------------------------ helpers

    private static SubtitleConfig config(boolean black, boolean mute, Map<String, Object> hint) {
        Map<String, Object> map = new HashMap<>();
        map.put("timeSegmentEffects", List.of(
                Map.of("startTime", 1.5, "endTime", 3, "blackScreen", black, "muteAudio", mute)));
        if (hint != null) {
            map.put("hintTextConfig", hint);
        }
        return SubtitleConfig.fromMap(map);
    }

    /** VTT → ASS → ffmpeg in {@code dir}, as the runner will do it. */
    private static Path render(Path dir, String vtt, SubtitleConfig config, FfmpegCommand command)
            throws IOException {
        Path ass = dir.resolve("subs.ass");
        Files.writeString(ass, new VttToAss(config).convert(vtt, sourceInfo.width(), sourceInfo.height()));
        Path out = dir.resolve("video.mp4");
        Path progress = dir.resolve("progress.txt");
        TestMedia.runChecked(command.build(new BurnRequest(source, ass, out, progress, sourceInfo, config)));
        return out;
    }

    private static void assertContractStreamsAndFaststart(Path out) {
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
        assertEquals(4.0, probe.path("format").path("duration").asDouble(), 0.1);

        List<String> boxes = TestMedia.topLevelBoxes(out);
        assertTrue(boxes.contains("moov") && boxes.contains("mdat"), boxes.toString());
        assertTrue(boxes.indexOf("moov") < boxes.indexOf("mdat"), "faststart: moov before mdat " + boxes);
    }

    private static void assertCueInBottomThirdOnly(Path out, double t) {
        RgbFrame src = TestMedia.frameAt(source, t);
        RgbFrame burned = TestMedia.frameAt(out, t);
        assertEquals(0, burned.countDiffering(src, TOP_TWO_THIRDS, 0), "top two thirds identical at " + t);
        assertTrue(burned.countDiffering(src, BOTTOM_THIRD, 40) > 150, "cue drawn in bottom third at " + t);
    }

    private static void assertIdenticalToSource(Path out, double t) {
        RgbFrame src = TestMedia.frameAt(source, t);
        RgbFrame burned = TestMedia.frameAt(out, t);
        assertEquals(0, burned.countDiffering(src, burned.full(), 0), "frame identical to source at " + t);
    }

    private static void assertBlack(Path out, double t, List<Rect> regions) {
        RgbFrame frame = TestMedia.frameAt(out, t);
        for (Rect r : regions) {
            assertTrue(frame.maxChannel(r) <= 4, "black at " + t + " in " + r + ", max " + frame.maxChannel(r));
        }
    }

    private static void assertHintPixels(Path out, double t, Rect band) {
        RgbFrame frame = TestMedia.frameAt(out, t);
        long yellow = frame.countNear(band, 255, 255, 0, 70);
        assertTrue(yellow > 30, "hint text drawn at " + t + ": " + yellow + " yellow pixels");
    }

    private static void assertSilent(Path out, double from, double to) {
        double db = TestMedia.maxVolumeDb(out, from, to);
        assertTrue(db <= -90, "silent in " + from + ".." + to + " but max_volume " + db + " dB");
    }

    private static void assertLoud(Path out, double from, double to) {
        double db = TestMedia.maxVolumeDb(out, from, to);
        assertTrue(db > -30, "audible in " + from + ".." + to + " but max_volume " + db + " dB");
    }
}
