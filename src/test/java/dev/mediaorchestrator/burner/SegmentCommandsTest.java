package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.burner.FfmpegCommand.BurnRequest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The segmented burn's argument lists as text; {@link SegmentedBurnTest} runs them for real. */
class SegmentCommandsTest {
    private static final FfprobeInfo WITH_AUDIO = new FfprobeInfo(1280, 720, 600, true);
    private static final FfprobeInfo NO_AUDIO = new FfprobeInfo(1280, 720, 600, false);
    private static final SegmentCommands COMMANDS = new SegmentCommands(new FfmpegCommand());
    private static final String WHOLE_RUN_FILTERS = "ass=filename=/work/job 1/subs.ass,"
            + "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable=between(t\\,290\\,310),"
            + "drawtext=font=Noto Sans CJK SC:text=hidden:expansion=none:fontsize=32:fontcolor=0xFFFF00"
            + ":x=(w-text_w)/2:y=(h-text_h)/2:enable=between(t\\,290\\,310)";

    private static SubtitleConfig effects() {
        return SubtitleConfig.fromMap(Map.of(
                "timeSegmentEffects", List.of(Map.of("startTime", 290, "endTime", 310, "blackScreen", true, "muteAudio", true)),
                "hintTextConfig", Map.of("enabled", true, "text", "hidden", "textColor", "#ffff00")));
    }

    private static BurnRequest burn(SubtitleConfig config) {
        return new BurnRequest(Path.of("/work/job 1/input.mp4"), Path.of("/work/job 1/subs.ass"),
                Path.of("/work/job 1/output.mp4"), Path.of("/work/job 1/ffmpeg.progress"), WITH_AUDIO, config);
    }

    @Test
    void aMiddleSegmentSeeksKeepsTheWholeRunsTimesThroughTheFiltersThenStartsAtZero() {
        List<String> args = COMMANDS.segmentVideo(burn(effects()), 299.98, 599.98);
        assertEquals(List.of("ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning", "-y",
                "-progress", "file:/work/job 1/ffmpeg.progress",
                "-ss", "299.98", "-copyts", "-start_at_zero", "-i", "file:/work/job 1/input.mp4",
                "-filter_complex", "[0:v:0]trim=start=299.98:end=599.98," + WHOLE_RUN_FILTERS + ",setpts=PTS-STARTPTS[v]",
                "-map", "[v]", "-an",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "medium",
                "-f", "mp4", "file:/work/job 1/output.mp4"), args);
    }

    @Test
    void theSegmentsFiltersAreTheWholeRunsBetweenTrimAndShift() {
        String whole = FfmpegCommand.filterGraph(burn(effects()));
        String video = whole.substring("[0:v:0]".length(), whole.indexOf("[v]"));
        assertEquals(WHOLE_RUN_FILTERS, video, "the whole run's video chain");
        String graph = SegmentCommands.segmentGraph(burn(effects()), 299.98, 599.98);
        assertTrue(graph.contains("," + video + ","), "the same chain in the segment: " + graph);
        assertTrue(graph.indexOf("trim=") < graph.indexOf("ass=") && graph.indexOf("drawtext=") < graph.indexOf("setpts="),
                "trim before, setpts after the filters that read the time: " + graph);
    }

    @Test
    void theFirstSegmentIsTheWholeRunWithAnEnd() {
        List<String> args = COMMANDS.segmentVideo(burn(SubtitleConfig.defaults()), 0, 299.98);
        assertFalse(args.contains("-ss"), "no seek: " + args);
        assertFalse(args.contains("-copyts"), args.toString());
        assertEquals("[0:v:0]trim=end=299.98,ass=filename=/work/job 1/subs.ass[v]", args.get(args.indexOf("-filter_complex") + 1));
    }

    @Test
    void theLastSegmentRunsToTheEnd() {
        String graph = SegmentCommands.segmentGraph(burn(SubtitleConfig.defaults()), 599.98, null);
        assertEquals("[0:v:0]trim=start=599.98,ass=filename=/work/job 1/subs.ass,setpts=PTS-STARTPTS[v]", graph);
    }

    @Test
    void aSegmentIsVideoOnlyWithTheInstancesPresetAndCrfAndNoFaststart() {
        List<String> args = new SegmentCommands(new FfmpegCommand("/opt/ffmpeg", "ultrafast", 23))
                .segmentVideo(burn(effects()), 10, 20.0);
        assertEquals("/opt/ffmpeg", args.get(0));
        assertTrue(Collections.indexOfSubList(args, List.of("-map", "[v]", "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                "-crf", "23", "-preset", "ultrafast")) > 0, args.toString());
        assertFalse(args.contains("-movflags"), "only the join needs +faststart");
        assertFalse(args.contains("-c:a"));
    }

    @Test
    void theJoinCopiesTheVideoAndEncodesTheInputsAudioOnceThroughTheMuteChain() {
        List<String> args = COMMANDS.join(new SegmentCommands.JoinRequest(Path.of("/work/j/segments.ffconcat"),
                Path.of("/work/j/input.mp4"), Path.of("/work/j/output.mp4"), null, WITH_AUDIO, effects()));
        assertEquals(List.of("ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning", "-y",
                "-progress", "pipe:1",
                "-f", "concat", "-i", "file:/work/j/segments.ffconcat", "-i", "file:/work/j/input.mp4",
                "-filter_complex", "[1:a:0]volume=volume=0:enable=between(t\\,290\\,310)[a]",
                "-map", "0:v:0", "-map", "[a]", "-map_metadata", "1",
                "-c:v", "copy", "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart",
                "-f", "mp4", "file:/work/j/output.mp4"), args);
        // the same mute chain as the whole run's
        assertTrue(FfmpegCommand.filterGraph(burn(effects())).endsWith(";[0:a:0]volume=volume=0:enable=between(t\\,290\\,310)[a]"));
    }

    @Test
    void theJoinWithoutMuteMapsTheAudioAndWithoutAudioHasNone() {
        List<String> plain = COMMANDS.join(new SegmentCommands.JoinRequest(Path.of("/j/l"), Path.of("/j/in.mp4"),
                Path.of("/j/out.mp4"), null, WITH_AUDIO, SubtitleConfig.defaults()));
        assertFalse(plain.contains("-filter_complex"));
        assertTrue(Collections.indexOfSubList(plain, List.of("-map", "0:v:0", "-map", "1:a:0")) > 0, plain.toString());
        assertTrue(Collections.indexOfSubList(plain, List.of("-c:a", "aac", "-b:a", "160k")) > 0);

        List<String> silent = COMMANDS.join(new SegmentCommands.JoinRequest(Path.of("/j/l"), Path.of("/j/in.mp4"),
                Path.of("/j/out.mp4"), null, NO_AUDIO, effects()));
        assertFalse(silent.contains("-filter_complex"));
        assertFalse(silent.contains("1:a:0"));
        assertTrue(silent.contains("-an"));
    }

    @Test
    void theConcatListNamesPlainFilesOnly() {
        assertEquals("ffconcat version 1.0\nfile segment-000.mp4\nfile segment-001.mp4\n",
                SegmentCommands.concatList(List.of(SegmentCommands.segmentFile(0), SegmentCommands.segmentFile(1))));
        assertThrows(IllegalArgumentException.class, () -> SegmentCommands.concatList(List.of("../x.mp4")));
        assertThrows(IllegalArgumentException.class, () -> SegmentCommands.concatList(List.of("a b.mp4")));
    }
}
