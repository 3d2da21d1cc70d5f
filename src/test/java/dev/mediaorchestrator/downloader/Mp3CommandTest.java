package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.support.IntegrationTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@IntegrationTest
class Mp3CommandTest {

    @Test
    void buildsTheFfmpegArguments() {
        assertEquals(List.of("/usr/bin/ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
                        "-i", "/w/video.mp4", "-vn", "-sn", "-dn", "-c:a", "libmp3lame", "-b:a", "192k", "/w/audio.mp3"),
                Mp3Command.args("/usr/bin/ffmpeg", Path.of("/w/video.mp4"), Path.of("/w/audio.mp3")));
        assertEquals("ffmpeg", Mp3Command.args(Path.of("/w/v.mp4"), Path.of("/w/a.mp3")).get(0));
    }

    @Test
    void extractsA192kMp3WithTheClipsDuration(@TempDir Path dir) throws Exception {
        TestMedia.requireOnPath("ffmpeg");
        TestMedia.requireOnPath("ffprobe");
        Path clip = TestMedia.makeClip(dir, "video.mp4", "320x180", 3);
        Path mp3 = dir.resolve(Mp3Command.AUDIO_FILE);

        TestMedia.Result r = TestMedia.run(Mp3Command.args(clip, mp3), dir, Duration.ofSeconds(60));

        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("", r.stderr().strip(), "nothing but errors on stderr");
        assertEquals("mp3", TestMedia.probe(mp3, "a:0", "stream=codec_name"));
        assertEquals("192000", TestMedia.probe(mp3, "a:0", "stream=bit_rate"));
        assertEquals("", TestMedia.probe(mp3, "v", "stream=codec_name"), "no video stream");
        double duration = Double.parseDouble(TestMedia.probe(mp3, null, "format=duration"));
        assertTrue(Math.abs(duration - 3.0) <= 0.2, "duration " + duration);
    }

    @Test
    void aVideoWithoutAudioFailsWithFfmpegsError(@TempDir Path dir) throws Exception {
        TestMedia.requireOnPath("ffmpeg");
        Path silent = dir.resolve("silent.mp4");
        TestMedia.Result made = TestMedia.run(List.of("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                "testsrc2=size=160x90:rate=10", "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", silent.toString()),
                dir, Duration.ofSeconds(60));
        assertEquals(0, made.exitCode(), made.stderr());

        TestMedia.Result r = TestMedia.run(Mp3Command.args(silent, dir.resolve("a.mp3")), dir, Duration.ofSeconds(60));

        assertTrue(r.exitCode() != 0);
        assertTrue(r.stderr().toLowerCase().contains("does not contain any stream")
                || r.stderr().toLowerCase().contains("stream"), r.stderr());
    }
}
