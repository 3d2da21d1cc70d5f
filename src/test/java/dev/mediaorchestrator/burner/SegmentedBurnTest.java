package dev.mediaorchestrator.burner;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mediaorchestrator.burner.FfmpegCommand.BurnRequest;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.testutil.TestMedia;
import dev.mediaorchestrator.testutil.TestMedia.TempDir;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.mediaorchestrator.burner.SegmentedOutputChecks.CUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 32, the ffmpeg side: the commands of {@link SegmentCommands} run on a generated input
 * ({@link SegmentedOutputChecks}), planned by {@link SegmentPlan} from the real ffprobe listing,
 * with the contract's encoding (x264 {@code medium}, CRF 18), and the joined output checked against
 * the single run of {@link FfmpegCommand}: every frame (those on both sides of each cut included),
 * the duration, the audio, the muted span, the cue and the black span with its hint text across the
 * cuts, {@code +faststart}.
 */
@IntegrationTest
class SegmentedBurnTest {
    private static final FfmpegCommand CONTRACT = new FfmpegCommand();
    private static TempDir dir;
    private static Path input;
    private static Path single;
    private static Path joined;
    private static SegmentPlan plan;
    private static final List<Path> segments = new ArrayList<>();

    @BeforeAll
    static void burnBothWays() throws IOException {
        dir = TestMedia.tempDir("segmented-burn-");
        input = SegmentedOutputChecks.generateInput(dir.resolve("input.mp4"));
        FfprobeInfo info = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(input)).stdoutText());
        SubtitleConfig config = SubtitleConfig.fromMap(SegmentedOutputChecks.SUBTITLE_CONFIG);
        Path ass = dir.resolve("subtitles.ass");
        Files.writeString(ass, new VttToAss(config).convert(SegmentedOutputChecks.VTT, info.width(), info.height()));

        single = dir.resolve("single.mp4");
        TestMedia.runChecked(CONTRACT.build(new BurnRequest(input, ass, single, null, info, config)));

        String listing = TestMedia.runChecked(VideoTimeline.command("ffprobe", input)).stdoutText();
        plan = SegmentPlan.choose(VideoTimeline.parse(new BufferedReader(new StringReader(listing))), 4, 2);
        SegmentCommands commands = new SegmentCommands(CONTRACT);
        List<String> names = new ArrayList<>();
        for (SegmentPlan.Segment s : plan.segments()) {
            Path out = dir.resolve(SegmentCommands.segmentFile(s.index()));
            TestMedia.runChecked(commands.segmentVideo(new BurnRequest(input, ass, out, null, info, config), s.start(), s.end()));
            segments.add(out);
            names.add(out.getFileName().toString());
        }
        Path list = dir.resolve(SegmentCommands.CONCAT_LIST);
        Files.writeString(list, SegmentCommands.concatList(names));
        joined = dir.resolve("joined.mp4");
        TestMedia.runChecked(commands.join(new SegmentCommands.JoinRequest(list, input, joined, null, info, config)));
    }

    @AfterAll
    static void deleteAll() {
        if (dir != null) {
            dir.close();
        }
    }

    @Test
    void theInputIsCutJustBeforeTheKeyframesAt4And8Seconds() {
        assertEquals(3, plan.segments().size(), plan.toString());
        assertNull(plan.reason());
        assertEquals(300, plan.frames());
        assertEquals(6, plan.keyframes());
        assertEquals(0, plan.segments().get(0).start());
        assertEquals(CUTS[0], plan.segments().get(0).end(), 1e-9);
        assertEquals(CUTS[0], plan.segments().get(1).start(), 1e-9);
        assertEquals(CUTS[1], plan.segments().get(1).end(), 1e-9);
        assertEquals(CUTS[1], plan.segments().get(2).start(), 1e-9);
        assertNull(plan.segments().get(2).end());
    }

    @Test
    void eachSegmentIsVideoOnlyFromZeroWithItsFrames() {
        int[] frames = {100, 100, 100};
        for (int i = 0; i < segments.size(); i++) {
            JsonNode probe = TestMedia.probe(segments.get(i));
            assertEquals(0, TestMedia.streams(probe, "audio").size(), "segment " + i + " has no audio");
            JsonNode video = TestMedia.streams(probe, "video").get(0);
            assertEquals(0.0, video.path("start_time").asDouble(), 1e-9, "segment " + i + " starts at 0");
            assertEquals(frames[i], SegmentedOutputChecks.frameTimes(segments.get(i)).size(), "frames of segment " + i);
        }
    }

    @Test
    void theJoinedOutputIsTheSingleRunsFrameForFrame() {
        SegmentedOutputChecks.assertContractStreamsAndFaststart(joined);
        SegmentedOutputChecks.assertSameFrames(joined, single, dir.path());
    }

    @Test
    void theAudioIsEncodedOnceAndIsTheSingleRunsAudio() {
        SegmentedOutputChecks.assertSameAudio(joined, single);
        SegmentedOutputChecks.assertMutedAcrossTheCut(joined);
    }

    @Test
    void subtitlesAndEffectsAreExactAcrossTheCuts() {
        SegmentedOutputChecks.assertCueOnBothSidesOfTheCut(joined, input);
        SegmentedOutputChecks.assertBlackWithHintOnBothSidesOfTheCut(joined);
        // and the single run draws them the same way (the checks are not weaker than the output they pass)
        SegmentedOutputChecks.assertCueOnBothSidesOfTheCut(single, input);
        SegmentedOutputChecks.assertBlackWithHintOnBothSidesOfTheCut(single);
    }

    @Test
    void withoutAudioTheJoinHasNone() throws IOException {
        try (TempDir silent = TestMedia.tempDir("segmented-burn-silent-")) {
            Path noAudio = TestMedia.generateClip(silent.resolve("in.mp4"), 2, false);
            FfprobeInfo info = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(noAudio)).stdoutText());
            SubtitleConfig config = SubtitleConfig.fromMap(SegmentedOutputChecks.SUBTITLE_CONFIG);
            Path ass = silent.resolve("s.ass");
            Files.writeString(ass, new VttToAss(config).convert("WEBVTT\n", info.width(), info.height()));
            FfmpegCommand fast = new FfmpegCommand("ffmpeg", "ultrafast", 18);
            SegmentCommands commands = new SegmentCommands(fast);
            TestMedia.runChecked(commands.segmentVideo(new BurnRequest(noAudio, ass, silent.resolve("a.mp4"), null, info, config), 0, 0.98));
            TestMedia.runChecked(commands.segmentVideo(new BurnRequest(noAudio, ass, silent.resolve("b.mp4"), null, info, config), 0.98, null));
            Path list = silent.resolve("list.ffconcat");
            Files.writeString(list, SegmentCommands.concatList(List.of("a.mp4", "b.mp4")));
            Path out = silent.resolve("out.mp4");
            TestMedia.runChecked(commands.join(new SegmentCommands.JoinRequest(list, noAudio, out, null, info, config)));
            JsonNode probe = TestMedia.probe(out);
            assertEquals(0, TestMedia.streams(probe, "audio").size());
            assertEquals(50, SegmentedOutputChecks.frameTimes(out).size(), "2 s at 25 fps");
            assertTrue(TestMedia.topLevelBoxes(out).indexOf("moov") < TestMedia.topLevelBoxes(out).indexOf("mdat"));
        }
    }
}
