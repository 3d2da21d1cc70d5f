package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.burner.FfmpegCommand.BurnRequest;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.testutil.TestMedia;
import dev.mediaorchestrator.testutil.TestMedia.ProcessResult;
import dev.mediaorchestrator.testutil.TestMedia.TempDir;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@IntegrationTest
class FfmpegErrorsTest {

    @Test
    void keepsTheLastLinesWithoutBlanks() {
        FfmpegErrors errors = new FfmpegErrors(3);
        assertEquals("no output", errors.message("no output"));
        for (String line : List.of("one", "", "two", "   ", "three", "four")) {
            errors.accept(line);
        }
        assertEquals(List.of("two", "three", "four"), errors.lines());
        assertEquals("two\nthree\nfour", errors.message("x"));
    }

    @Test
    void lastLinesOfACapturedStderr() {
        String stderr = IntStream.rangeClosed(1, 40).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
        String expected = IntStream.rangeClosed(26, 40).mapToObj(i -> "line " + i).collect(Collectors.joining("\n"));
        assertEquals(expected, FfmpegErrors.lastLines(stderr + "\n\n", FfmpegErrors.DEFAULT_MAX_LINES));
        assertEquals("", FfmpegErrors.lastLines(null, 5));
    }

    @Test
    void carriageReturnsAndRunawayLines() {
        FfmpegErrors errors = new FfmpegErrors();
        errors.accept("frame=1 fps=0\rframe=2 fps=0\rError while decoding\r\n");
        errors.accept("x".repeat(2000));
        List<String> lines = errors.lines();
        assertEquals("Error while decoding", lines.get(0));
        assertEquals(FfmpegErrors.MAX_LINE_LENGTH + 1, lines.get(1).length());
    }

    @Test
    void corruptInputGivesFfmpegsOwnMessage() throws Exception {
        try (TempDir dir = TestMedia.tempDir("burner-errors-")) {
            Path corrupt = dir.resolve("video.mp4");
            byte[] noise = new byte[64 * 1024];
            new Random(42).nextBytes(noise);
            Files.write(corrupt, noise);
            Path ass = dir.resolve("subs.ass");
            Files.writeString(ass, new VttToAss(SubtitleConfig.defaults()).convert("WEBVTT\n", 320, 180));
            List<String> command = new FfmpegCommand().build(new BurnRequest(corrupt, ass, dir.resolve("out.mp4"),
                    dir.resolve("progress.txt"), new FfprobeInfo(320, 180, 4, true), SubtitleConfig.defaults()));

            ProcessResult result = TestMedia.run(command, TestMedia.DEFAULT_TIMEOUT);

            assertNotEquals(0, result.exitCode());
            String error = FfmpegErrors.lastLines(result.stderr(), FfmpegErrors.DEFAULT_MAX_LINES);
            assertTrue(error.contains("Invalid data found when processing input"), error);
            assertTrue(error.lines().count() <= FfmpegErrors.DEFAULT_MAX_LINES);
        }
    }
}
