package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.testutil.TestMedia;
import dev.mediaorchestrator.testutil.TestMedia.TempDir;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@IntegrationTest
class FfprobeInfoTest {

    @Test
    void commandIsTheContractsProbe() {
        assertEquals(List.of("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                "file:/tmp/a b:c/in.mp4"), FfprobeInfo.command(Path.of("/tmp/a b:c/in.mp4")));
    }

    @Test
    void probesRealClipsWithAndWithoutAudio() {
        try (TempDir dir = TestMedia.tempDir("burner-probe: ")) {
            Path withAudio = TestMedia.generateClip(dir.resolve("a.mp4"), 640, 360, 3, true);
            Path silent = TestMedia.generateClip(dir.resolve("v.mp4"), 2, false);

            FfprobeInfo a = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(withAudio)).stdoutText());
            assertEquals(640, a.width());
            assertEquals(360, a.height());
            assertEquals(3.0, a.durationSeconds(), 0.1);
            assertTrue(a.hasAudio());

            FfprobeInfo v = FfprobeInfo.parse(TestMedia.runChecked(FfprobeInfo.command(silent)).stdoutText());
            assertEquals(new FfprobeInfo(320, 180, v.durationSeconds(), false), v);
            assertEquals(2.0, v.durationSeconds(), 0.1);
        }
    }

    @Test
    void rotatedVideoReportsDisplayedSize() {
        String displayMatrix = """
                {"streams": [{"codec_type": "video", "width": 1920, "height": 1080,
                  "side_data_list": [{"side_data_type": "Display Matrix", "rotation": -90}]}],
                 "format": {"duration": "12.500000"}}""";
        assertEquals(new FfprobeInfo(1080, 1920, 12.5, false), FfprobeInfo.parse(displayMatrix));
        String rotateTag = """
                {"streams": [{"codec_type": "video", "width": 1920, "height": 1080, "tags": {"rotate": "270"}},
                             {"codec_type": "audio"}], "format": {"duration": "1.0"}}""";
        assertEquals(new FfprobeInfo(1080, 1920, 1.0, true), FfprobeInfo.parse(rotateTag));
        String upsideDown = """
                {"streams": [{"codec_type": "video", "width": 1920, "height": 1080, "tags": {"rotate": "180"}}],
                 "format": {}}""";
        assertEquals(new FfprobeInfo(1920, 1080, 0, false), FfprobeInfo.parse(upsideDown));
    }

    @Test
    void skipsCoverArtAndFallsBackToStreamDuration() {
        String json = """
                {"streams": [
                  {"codec_type": "video", "codec_name": "mjpeg", "width": 600, "height": 600,
                   "disposition": {"attached_pic": 1}},
                  {"codec_type": "video", "width": 854, "height": 480, "duration": "7.040000"},
                  {"codec_type": "audio", "codec_name": "aac"}],
                 "format": {"duration": "N/A"}}""";
        assertEquals(new FfprobeInfo(854, 480, 7.04, true), FfprobeInfo.parse(json));
    }

    @Test
    void rejectsOutputWithoutVideo() {
        assertEquals("input has no video stream", assertThrows(IllegalArgumentException.class,
                () -> FfprobeInfo.parse("{\"streams\": [{\"codec_type\": \"audio\"}], \"format\": {}}")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> FfprobeInfo.parse("{}"));
        assertThrows(IllegalArgumentException.class, () -> FfprobeInfo.parse("not json"));
        assertThrows(IllegalArgumentException.class,
                () -> FfprobeInfo.parse("{\"streams\": [{\"codec_type\": \"video\"}]}"));
    }
}
