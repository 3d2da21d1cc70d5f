package dev.mediaorchestrator.burner;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A cue the parser cannot read is skipped and counted; the others are kept; nothing throws. */
class WebVttParserTest {

    @Test
    void unreadableCuesAreSkippedAndCounted() {
        String vtt = """
                WEBVTT

                00:00.500 --> 00:01.500
                First

                12345678901234567890:00:01.000 --> 12345678901234567890:00:02.000
                a 20-digit hour: no long holds it

                999999999999999999:00:01.000 --> 999999999999999999:00:02.000
                an 18-digit hour: fits a long, its milliseconds do not

                00:05.000 --> 00:04.000
                ends before it starts

                00:0x.000 --> 00:07.000
                not a time

                00:02.000 --> 00:03.000
                Third
                """;
        WebVttParser.Parsed parsed = WebVttParser.read(vtt);
        assertEquals(List.of(new WebVttParser.VttCue(500, 1500, List.of("First")), new WebVttParser.VttCue(2000, 3000, List.of("Third"))),
                parsed.cues());
        assertEquals(4, parsed.skipped());
        assertEquals(parsed.cues(), WebVttParser.parse(vtt));
    }

    @Test
    void aCleanFileSkipsNothing() {
        assertEquals(0, WebVttParser.read(BurnerRunnerFixture.BILINGUAL_VTT).skipped());
        assertEquals(2, WebVttParser.read(BurnerRunnerFixture.BILINGUAL_VTT).cues().size());
    }
}
