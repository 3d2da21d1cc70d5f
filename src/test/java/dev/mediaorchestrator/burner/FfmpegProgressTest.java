package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.burner.FfmpegCommand.BurnRequest;
import dev.mediaorchestrator.burner.FfmpegProgress.CallbackThrottle;
import dev.mediaorchestrator.burner.FfmpegProgress.Mapper;
import dev.mediaorchestrator.burner.FfmpegProgress.Snapshot;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.testutil.TestMedia;
import dev.mediaorchestrator.testutil.TestMedia.TempDir;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@IntegrationTest
class FfmpegProgressTest {

    /**
     * Captured verbatim from ffmpeg 5.1.9 ({@code -progress file:… -nostats}, medium/crf 18, a 6 s
     * 1280×720 testsrc2 clip burned with an ASS file).
     */
    static final String CAPTURED = """
frame=1
fps=0.00
stream_0_0_q=0.0
bitrate=   8.3kbits/s
total_size=48
out_time_us=46440
out_time_ms=46440
out_time=00:00:00.046440
dup_frames=0
drop_frames=0
speed=9.11x
progress=continue
frame=46
fps=0.00
stream_0_0_q=0.0
bitrate=   0.2kbits/s
total_size=48
out_time_us=1857596
out_time_ms=1857596
out_time=00:00:01.857596
dup_frames=0
drop_frames=0
speed=3.35x
progress=continue
frame=76
fps=71.89
stream_0_0_q=23.0
bitrate=1368.6kbits/s
total_size=524336
out_time_us=3065034
out_time_ms=3065034
out_time=00:00:03.065034
dup_frames=0
drop_frames=0
speed= 2.9x
progress=continue
frame=111
fps=71.14
stream_0_0_q=23.0
bitrate=2352.1kbits/s
total_size=1310768
out_time_us=4458231
out_time_ms=4458231
out_time=00:00:04.458231
dup_frames=0
drop_frames=0
speed=2.86x
progress=continue
frame=142
fps=68.88
stream_0_0_q=23.0
bitrate=2580.5kbits/s
total_size=1835056
out_time_us=5688889
out_time_ms=5688889
out_time=00:00:05.688889
dup_frames=0
drop_frames=0
speed=2.76x
progress=continue
frame=150
fps=55.39
stream_0_0_q=-1.0
bitrate=4093.4kbits/s
total_size=3077190
out_time_us=6013968
out_time_ms=6013968
out_time=00:00:06.013968
dup_frames=0
drop_frames=0
speed=2.22x
progress=end
""";

    @Test
    void parsesCapturedOutput() {
        List<Snapshot> snapshots = FfmpegProgress.parseAll(CAPTURED);
        assertEquals(List.of(
                new Snapshot(0.04644, 1, false),
                new Snapshot(1.857596, 46, false),
                new Snapshot(3.065034, 76, false),
                new Snapshot(4.458231, 111, false),
                new Snapshot(5.688889, 142, false),
                new Snapshot(6.013968, 150, true)), snapshots);
    }

    @Test
    void mapsCapturedOutputInto02To09Monotonically() {
        Mapper mapper = new Mapper(6.0);
        List<Double> progress = new ArrayList<>();
        for (Snapshot s : FfmpegProgress.parseAll(CAPTURED)) {
            progress.add(mapper.progress(s));
        }
        assertEquals(0.2 + 0.7 * 0.04644 / 6, progress.get(0), 1e-9);
        assertEquals(0.2 + 0.7 * 1.857596 / 6, progress.get(1), 1e-9);
        assertEquals(0.2 + 0.7 * 5.688889 / 6, progress.get(4), 1e-9);
        assertEquals(0.9, progress.get(5));
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i) > progress.get(i - 1), "increasing: " + progress);
        }
    }

    @Test
    void mapperClampsAndNeverGoesBack() {
        Mapper mapper = new Mapper(10);
        assertEquals(0.2, mapper.progress(-1));
        assertEquals(0.55, mapper.progress(5), 1e-9);
        assertEquals(0.55, mapper.progress(2), 1e-9);          // ffmpeg reporting an earlier time
        assertEquals(0.9, mapper.progress(12));                // past the probed duration
        assertEquals(0.9, mapper.progress(new Snapshot(3, 10, false)));
        Mapper unknownDuration = new Mapper(0);
        assertEquals(0.2, unknownDuration.progress(5));
        assertEquals(0.9, unknownDuration.progress(new Snapshot(5, 125, true)));
    }

    @Test
    void readsFallbackKeysAndIgnoresNonsense() {
        String text = "frame=3\r\nout_time=00:01:02.500000\r\nprogress=continue\r\n"
                + "out_time_ms=70000000\nout_time=00:00:01.000000\nprogress=continue\n"
                + "out_time_us=N/A\nout_time_ms=N/A\nout_time=N/A\nprogress=continue\n"
                + "out_time_us=-9223372036854775807\nout_time=-577014:32:22.775808\nprogress=continue\n"
                + "garbage line\n=5\nspeed=N/A\nout_time_us=80000000\nout_time_ms=1\nprogress=end\n";
        assertEquals(List.of(
                new Snapshot(62.5, 3, false),
                new Snapshot(70, -1, false),
                new Snapshot(0, -1, false),
                new Snapshot(0, -1, false),
                new Snapshot(80, -1, true)), FfmpegProgress.parseAll(text));
    }

    @Test
    void reportsOnlyAtTheEndOfABlock() {
        FfmpegProgress parser = new FfmpegProgress();
        assertEquals(Optional.empty(), parser.accept("frame=10"));
        assertEquals(Optional.empty(), parser.accept("out_time_us=400000"));
        assertEquals(Optional.of(new Snapshot(0.4, 10, false)), parser.accept("progress=continue"));
        assertEquals(Optional.of(new Snapshot(0, -1, true)), parser.accept("progress=end"));
    }

    @Test
    void callbackDueEveryTenPercentOrFiveSeconds() {
        CallbackThrottle throttle = new CallbackThrottle();
        assertTrue(throttle.due(0.2, 0));
        assertFalse(throttle.due(0.25, 1_000));
        assertFalse(throttle.due(0.29, 4_999));
        assertTrue(throttle.due(0.30, 5_000 - 1));     // +10 points
        assertFalse(throttle.due(0.31, 6_000));
        assertTrue(throttle.due(0.31, 10_000));        // 5 s since the last one
        assertFalse(throttle.due(0.31, 14_999));
        assertTrue(throttle.due(0.31, 15_000));
    }

    @Test
    void liveRunWritesParsableProgressFile() throws Exception {
        try (TempDir dir = TestMedia.tempDir("burner-progress-")) {
            Path source = TestMedia.generateClip(dir.resolve("in.mp4"), 4, true);
            FfprobeInfo info = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(source)).stdoutText());
            Path ass = dir.resolve("subs.ass");
            Files.writeString(ass, new VttToAss(SubtitleConfig.defaults()).convert("WEBVTT\n", 320, 180));
            Path progressFile = dir.resolve("progress.txt");
            TestMedia.runChecked(new FfmpegCommand("ffmpeg", "ultrafast", 23).build(new BurnRequest(
                    source, ass, dir.resolve("out.mp4"), progressFile, info, SubtitleConfig.defaults())));

            List<Snapshot> snapshots = FfmpegProgress.parseAll(Files.readString(progressFile));
            assertFalse(snapshots.isEmpty());
            Snapshot last = snapshots.get(snapshots.size() - 1);
            assertTrue(last.end());
            assertEquals(4.0, last.outTimeSeconds(), 0.1);
            assertEquals(100, last.frame());
            Mapper mapper = new Mapper(info.durationSeconds());
            double previous = 0;
            for (Snapshot s : snapshots) {
                double p = mapper.progress(s);
                assertTrue(p >= 0.2 && p <= 0.9 && p >= previous, "progress " + p + " after " + previous);
                previous = p;
            }
            assertEquals(0.9, previous);
        }
    }
}
