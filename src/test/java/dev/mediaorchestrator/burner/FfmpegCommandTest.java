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

/** The argument list and filter graph as text; {@link FfmpegRenderTest} runs them for real. */
class FfmpegCommandTest {

    private static final List<String> CONTRACT_ENCODING = List.of("-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-crf", "18", "-preset", "medium", "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart");

    private static final FfprobeInfo WITH_AUDIO = new FfprobeInfo(1280, 720, 10, true);
    private static final FfprobeInfo NO_AUDIO = new FfprobeInfo(1280, 720, 10, false);

    private static BurnRequest request(FfprobeInfo media, SubtitleConfig config, Path progress) {
        return new BurnRequest(Path.of("/work/job 1/in.mp4"), Path.of("/work/job 1/subs.ass"),
                Path.of("/work/job 1/out.mp4"), progress, media, config);
    }

    private static SubtitleConfig effects() {
        return SubtitleConfig.fromMap(Map.of(
                "timeSegmentEffects", List.of(
                        Map.of("startTime", 1, "endTime", 2.5, "blackScreen", true, "muteAudio", true),
                        Map.of("startTime", 5.125, "endTime", 6, "muteAudio", true),
                        Map.of("startTime", 7, "endTime", 8, "blackScreen", true)),
                "hintTextConfig", Map.of("enabled", true, "text", "it's 50%: ok, [x]; \\ done",
                        "fontSize", 54, "textColor", "#ffd700", "position", "bottom")));
    }

    @Test
    void defaultsUseTheContractEncodingInOneRun() {
        List<String> args = new FfmpegCommand().build(request(WITH_AUDIO, SubtitleConfig.defaults(), null));
        assertEquals(List.of("ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning", "-y",
                "-progress", "pipe:1", "-i", "file:/work/job 1/in.mp4",
                "-filter_complex", "[0:v:0]ass=filename=/work/job 1/subs.ass[v]",
                "-map", "[v]", "-map", "0:a:0",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "medium",
                "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart",
                "-f", "mp4", "file:/work/job 1/out.mp4"), args);
        assertTrue(Collections.indexOfSubList(args, CONTRACT_ENCODING) > 0);
    }

    @Test
    void effectsShareOneFilterGraph() {
        List<String> args = new FfmpegCommand().build(request(WITH_AUDIO, effects(), Path.of("/work/job 1/p.txt")));
        String expectedGraph = "[0:v:0]ass=filename=/work/job 1/subs.ass,"
                + "drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable=between(t\\,1\\,2.5)+between(t\\,7\\,8),"
                + "drawtext=font=Noto Sans CJK SC:text=it\\\\\\'s 50%\\\\: ok\\, \\[x\\]\\; \\\\\\\\ done"
                + ":expansion=none:fontsize=36:fontcolor=0xFFD700:x=(w-text_w)/2:y=h-text_h-h/10"
                + ":enable=between(t\\,1\\,2.5)+between(t\\,7\\,8)[v];"
                + "[0:a:0]volume=volume=0:enable=between(t\\,1\\,2.5)+between(t\\,5.125\\,6)[a]";
        assertEquals(expectedGraph, args.get(args.indexOf("-filter_complex") + 1));
        assertEquals("file:/work/job 1/p.txt", args.get(args.indexOf("-progress") + 1));
        assertTrue(Collections.indexOfSubList(args, List.of("-map", "[v]", "-map", "[a]")) > 0);
        assertTrue(Collections.indexOfSubList(args, CONTRACT_ENCODING) > 0);
    }

    @Test
    void videoWithoutAudioGetsNoAudioChain() {
        List<String> args = new FfmpegCommand().build(request(NO_AUDIO, effects(), null));
        String graph = args.get(args.indexOf("-filter_complex") + 1);
        assertFalse(graph.contains("volume"), graph);
        assertFalse(graph.contains("[a]"), graph);
        assertTrue(args.contains("-an"));
        assertFalse(args.contains("-c:a"));
        assertFalse(args.contains("0:a:0"));
        assertTrue(Collections.indexOfSubList(args,
                List.of("-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "medium", "-an",
                        "-movflags", "+faststart")) > 0);
    }

    @Test
    void hintNeedsABlackSegment() {
        SubtitleConfig muteOnly = SubtitleConfig.fromMap(Map.of(
                "timeSegmentEffects", List.of(Map.of("startTime", 1, "endTime", 2, "muteAudio", true)),
                "hintTextConfig", Map.of("enabled", true, "text", "hidden")));
        String graph = FfmpegCommand.filterGraph(request(WITH_AUDIO, muteOnly, null));
        assertEquals("[0:v:0]ass=filename=/work/job 1/subs.ass[v];"
                + "[0:a:0]volume=volume=0:enable=between(t\\,1\\,2)[a]", graph);
    }

    @Test
    void presetAndCrfOnlyThroughTheConstructor() {
        List<String> args = new FfmpegCommand("/opt/ffmpeg", "ultrafast", 0)
                .build(request(WITH_AUDIO, SubtitleConfig.defaults(), null));
        assertEquals("/opt/ffmpeg", args.get(0));
        assertTrue(Collections.indexOfSubList(args, List.of("-crf", "0", "-preset", "ultrafast")) > 0);
        assertThrows(IllegalArgumentException.class, () -> new FfmpegCommand("ffmpeg", "fast", 52));
    }

    @Test
    void hintSizeScalesWithHeightAndHasAFloor() {
        assertEquals(48, FfmpegCommand.hintFontSize(48, 1080));
        assertEquals(12, FfmpegCommand.hintFontSize(48, 180));
        assertEquals(96, FfmpegCommand.hintFontSize(48, 2160));
    }

    @Test
    void escapingMatchesTheFfmpegFiltersDocumentation() {
        // the example of ffmpeg-filters "Notes on filtergraph escaping"
        String text = "this is a 'string': may contain one, or more, special characters";
        assertEquals("this is a \\'string\\'\\: may contain one, or more, special characters",
                FilterEscaping.optionValue(text));
        assertEquals("drawtext=text=this is a \\\\\\'string\\\\\\'\\\\: may contain one\\, or more\\, special characters",
                FilterEscaping.filter("drawtext", "text", text));
    }

    @Test
    void escapingKeepsEdgeWhitespace() {
        assertEquals("\\ a b\\ ", FilterEscaping.optionValue(" a b "));
        assertEquals("\\ \\[\\]\\\\\\ ", FilterEscaping.filterArgs(" []\\ "));
        assertEquals("null", FilterEscaping.filter("null"));
    }
}
