package dev.mediaorchestrator.downloader;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DownloadExtrasTest {
    static final String COOKIES = "# Netscape HTTP Cookie File\n"
            + ".example.com\tTRUE\t/\tTRUE\t2147483647\tSID\tsecret-session-value\n"
            + "#HttpOnly_.example.com\tTRUE\t/\tFALSE\t0\tHSID\tanother-secret\n";

    @Test
    void netscapeCookiesAreTaken() {
        assertEquals(COOKIES, DownloadExtras.cookies(Map.of("cookies", COOKIES)));
        assertEquals(List.of("secret-session-value", "another-secret"), DownloadExtras.cookieValues(COOKIES));
        assertNull(DownloadExtras.cookies(Map.of()));
    }

    @Test
    void malformedCookiesNameTheFieldAndEchoNoValue() {
        for (Object bad : List.of("SID=secret-session-value", "a\tb\tc", ".x\tMAYBE\t/\tTRUE\t0\tn\tsecret-session-value",
                ".x\tTRUE\t/\tTRUE\tsoon\tn\tsecret-session-value", "# only a comment\n", 42, "x".repeat(70_000))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DownloadExtras.cookies(Map.of("cookies", bad)));
            assertTrue(e.getMessage().startsWith("cookies"), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), e.getMessage());
        }
    }

    @Test
    void subtitlesAndThumbnail() {
        DownloadExtras.Subtitles s = DownloadExtras.subtitles(Map.of("subtitles", Map.of("languages", List.of("en", "zh-Hans", "en"), "auto", true)));
        assertEquals(List.of("en", "zh-Hans"), s.languages());
        assertTrue(s.auto());
        assertFalse(DownloadExtras.subtitles(Map.of("subtitles", Map.of("languages", List.of("pt-BR")))).auto());
        for (Object bad : List.of("en", Map.of(), Map.of("languages", List.of()), Map.of("languages", List.of("../x")),
                Map.of("languages", List.of("en"), "auto", "yes"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DownloadExtras.subtitles(Map.of("subtitles", bad)));
            assertTrue(e.getMessage().startsWith("subtitles"), e.getMessage());
        }
        assertTrue(DownloadExtras.thumbnail(Map.of("thumbnail", true)));
        assertFalse(DownloadExtras.thumbnail(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> DownloadExtras.thumbnail(Map.of("thumbnail", "yes")));
    }

    @Test
    void theYtDlpCommandAsksForThem() {
        DownloadOptions o = DownloadOptions.parse(Map.of("url", "https://example.com/v", "cookies", COOKIES, "thumbnail", true,
                "subtitles", Map.of("languages", List.of("en", "zh-Hans"))));
        List<String> cmd = YtDlpCommand.builder(o, Path.of("/w")).cookies(Path.of("/w/cookies.txt")).build();
        String line = String.join(" ", cmd);
        assertTrue(line.contains("--no-write-auto-subs --write-subs --sub-langs en,zh-Hans --sub-format vtt/best --convert-subs vtt --output subtitle:/w/subs.%(ext)s"), line);
        assertTrue(line.contains("--write-thumbnail --convert-thumbnails jpg --output thumbnail:/w/thumb.%(ext)s"), line);
        assertTrue(line.contains("--cookies /w/cookies.txt"), line);
        assertEquals("https://example.com/v", cmd.get(cmd.size() - 1));
        assertFalse(o.toString().contains("secret"), o.toString());
    }
}
