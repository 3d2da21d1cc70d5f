package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.runner.RunnerFailure;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** How a subtitles file becomes text: UTF-8 (BOM or not), UTF-16/32 with a BOM, UTF-16 by its WEBVTT start; else a clear error. */
class SubtitleTextTest {
    private static final String VTT = "WEBVTT\n\n00:00.500 --> 00:03.000\nHello\n你好\n";

    private static byte[] withBom(int[] bom, byte[] text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int b : bom) {
            out.write(b);
        }
        out.writeBytes(text);
        return out.toByteArray();
    }

    @Test
    void utf8WithAndWithoutItsByteOrderMark() {
        assertEquals(VTT, SubtitleText.decode(VTT.getBytes(StandardCharsets.UTF_8)));
        assertEquals(VTT, SubtitleText.decode(withBom(new int[]{0xEF, 0xBB, 0xBF}, VTT.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void utf16AndUtf32WithAByteOrderMark() {
        assertEquals(VTT, SubtitleText.decode(withBom(new int[]{0xFF, 0xFE}, VTT.getBytes(StandardCharsets.UTF_16LE))));
        assertEquals(VTT, SubtitleText.decode(withBom(new int[]{0xFE, 0xFF}, VTT.getBytes(StandardCharsets.UTF_16BE))));
        assertEquals(VTT, SubtitleText.decode(withBom(new int[]{0xFF, 0xFE, 0, 0}, VTT.getBytes(Charset.forName("UTF-32LE")))));
        assertEquals(VTT, SubtitleText.decode(withBom(new int[]{0, 0, 0xFE, 0xFF}, VTT.getBytes(Charset.forName("UTF-32BE")))));
    }

    @Test
    void utf16WithoutAByteOrderMarkIsKnownByItsWebvttStart() {
        assertEquals(VTT, SubtitleText.decode(VTT.getBytes(StandardCharsets.UTF_16LE)));
        assertEquals(VTT, SubtitleText.decode(VTT.getBytes(StandardCharsets.UTF_16BE)));
    }

    @Test
    void gbkAndLatin1AreRefusedNamingTheFirstByteThatIsNotUtf8() {
        RunnerFailure gbk = assertThrows(RunnerFailure.class, () -> SubtitleText.decode(VTT.getBytes(Charset.forName("GBK"))));
        assertEquals("subtitles are not UTF-8 (byte 0xC4 at offset 38); save them as UTF-8 (UTF-16 with a byte order mark is read too)",
                gbk.getMessage());
        RunnerFailure latin1 = assertThrows(RunnerFailure.class,
                () -> SubtitleText.decode("WEBVTT\n\n00:01.000 --> 00:02.000\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals("subtitles are not UTF-8 (byte 0xE9 at offset 35); save them as UTF-8 (UTF-16 with a byte order mark is read too)",
                latin1.getMessage());
    }

    @Test
    void aFileOverTheLimitIsRefusedNamingTheSetting() throws Exception {
        Path file = Files.createTempFile("subs", ".vtt");
        try {
            Files.write(file, new byte[1001]);
            RunnerFailure e = assertThrows(RunnerFailure.class, () -> SubtitleText.read(file, 1000));
            assertEquals("subtitles are 1001 bytes, more than MAX_SUBTITLES_BYTES (1000)", e.getMessage());
            assertEquals(1001, SubtitleText.read(file, 1001).length());
        } finally {
            Files.delete(file);
        }
    }
}
