package dev.mediaorchestrator.burner;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mediaorchestrator.burner.SubtitleConfig.HintTextConfig;
import dev.mediaorchestrator.burner.SubtitleConfig.Position;
import dev.mediaorchestrator.burner.SubtitleConfig.TimeSegmentEffect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubtitleConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Parses engineOptions JSON the way the route will receive it (a Jackson map). */
    private static SubtitleConfig fromJson(String engineOptionsJson) throws Exception {
        Map<String, Object> engineOptions = JSON.readValue(engineOptionsJson, new TypeReference<>() { });
        return SubtitleConfig.fromEngineOptions(engineOptions);
    }

    @Test
    void absentConfigGivesContractDefaults() throws Exception {
        SubtitleConfig expected = new SubtitleConfig(36, new RgbColor(255, 255, 255), new RgbColor(0, 0, 0), 0.9,
                new RgbColor(0, 0, 0), 0.5, List.of(), HintTextConfig.DISABLED);
        assertEquals(expected, SubtitleConfig.defaults());
        assertEquals(expected, SubtitleConfig.fromEngineOptions(null));
        assertEquals(expected, fromJson("{}"));
        assertEquals(expected, fromJson("{\"subtitleConfig\": null}"));
        assertEquals(expected, fromJson("{\"subtitleConfig\": {\"unknownField\": 1}}"));
    }

    @Test
    void readsEveryField() throws Exception {
        SubtitleConfig config = fromJson("""
                {"subtitleConfig": {
                  "fontSize": 48.5, "textColor": "#FfD700", "outlineColor": "#abc", "outlineOpacity": 0.25,
                  "backgroundColor": "#102030", "backgroundOpacity": 0,
                  "timeSegmentEffects": [
                    {"startTime": 1, "endTime": 2.5, "blackScreen": true, "muteAudio": false},
                    {"startTime": "3.25", "endTime": 4, "muteAudio": "true"}
                  ],
                  "hintTextConfig": {"enabled": true, "text": "  内容已屏蔽  ", "fontSize": 60,
                                     "textColor": "#f00", "position": "Top"}
                }}""");
        assertEquals(48.5, config.fontSize());
        assertEquals(new RgbColor(255, 215, 0), config.textColor());
        assertEquals(new RgbColor(0xaa, 0xbb, 0xcc), config.outlineColor());
        assertEquals(0.25, config.outlineOpacity());
        assertEquals(new RgbColor(0x10, 0x20, 0x30), config.backgroundColor());
        assertEquals(0.0, config.backgroundOpacity());
        assertEquals(List.of(new TimeSegmentEffect(1, 2.5, true, false), new TimeSegmentEffect(3.25, 4, false, true)),
                config.timeSegmentEffects());
        assertEquals(List.of(new TimeSegmentEffect(1, 2.5, true, false)), config.blackSegments());
        assertEquals(List.of(new TimeSegmentEffect(3.25, 4, false, true)), config.muteSegments());
        assertEquals(new HintTextConfig(true, "内容已屏蔽", 60, new RgbColor(255, 0, 0), Position.TOP), config.hintText());
        assertTrue(config.hintText().isDrawn());
    }

    @Test
    void hintIsDrawnOnlyWhenEnabledWithText() throws Exception {
        assertFalse(fromJson("{\"subtitleConfig\": {\"hintTextConfig\": {\"text\": \"x\"}}}").hintText().isDrawn());
        assertFalse(fromJson("{\"subtitleConfig\": {\"hintTextConfig\": {\"enabled\": true, \"text\": \" \"}}}")
                .hintText().isDrawn());
        HintTextConfig defaults = fromJson("{\"subtitleConfig\": {\"hintTextConfig\": {\"enabled\": true, "
                + "\"text\": \"x\"}}}").hintText();
        assertEquals(new HintTextConfig(true, "x", 48, RgbColor.WHITE, Position.CENTER), defaults);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            {"fontSize": "big"}                                           | subtitleConfig.fontSize must be a number
            {"fontSize": 0}                                               | subtitleConfig.fontSize must be > 0
            {"fontSize": 5000}                                            | subtitleConfig.fontSize must be > 0
            {"textColor": "red"}                                          | subtitleConfig.textColor must be a colour
            {"outlineColor": "#12345"}                                    | subtitleConfig.outlineColor must be a colour
            {"backgroundColor": 255}                                      | subtitleConfig.backgroundColor must be a colour
            {"backgroundColor": "#gggggg"}                                | subtitleConfig.backgroundColor must be a colour
            {"backgroundOpacity": 1.5}                                    | subtitleConfig.backgroundOpacity must be within 0..1
            {"outlineOpacity": -0.1}                                      | subtitleConfig.outlineOpacity must be within 0..1
            {"timeSegmentEffects": {}}                                    | subtitleConfig.timeSegmentEffects must be an array
            {"timeSegmentEffects": [5]}                                   | subtitleConfig.timeSegmentEffects[0] must be an object
            {"timeSegmentEffects": [{"startTime": 2, "endTime": 1}]}      | subtitleConfig.timeSegmentEffects[0].endTime must be greater than startTime
            {"timeSegmentEffects": [{"endTime": 1}]}                      | subtitleConfig.timeSegmentEffects[0].startTime is required
            {"timeSegmentEffects": [{"startTime": -1, "endTime": 1}]}     | subtitleConfig.timeSegmentEffects[0].startTime must be >= 0
            {"timeSegmentEffects": [{"startTime": 0, "endTime": 1}, {"startTime": "x", "endTime": 2}]} | subtitleConfig.timeSegmentEffects[1].startTime must be a number
            {"timeSegmentEffects": [{"startTime": 0, "endTime": 1, "blackScreen": "yes"}]} | subtitleConfig.timeSegmentEffects[0].blackScreen must be true or false
            {"hintTextConfig": "x"}                                       | subtitleConfig.hintTextConfig must be an object
            {"hintTextConfig": {"position": "left"}}                      | subtitleConfig.hintTextConfig.position must be center, top or bottom
            {"hintTextConfig": {"fontSize": -3}}                          | subtitleConfig.hintTextConfig.fontSize must be > 0
            {"hintTextConfig": {"text": 5}}                               | subtitleConfig.hintTextConfig.text must be a string
            {"hintTextConfig": {"textColor": "#12"}}                      | subtitleConfig.hintTextConfig.textColor must be a colour
            {"hintTextConfig": {"enabled": 1}}                            | subtitleConfig.hintTextConfig.enabled must be true or false
            """)
    void invalidValuesNameTheField(String subtitleConfigJson, String expectedMessageStart) throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fromJson("{\"subtitleConfig\": " + subtitleConfigJson + "}"));
        assertTrue(e.getMessage().startsWith(expectedMessageStart),
                () -> "message was: " + e.getMessage());
    }

    @Test
    void nonObjectConfigIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SubtitleConfig.fromMap("bold"));
        assertEquals("subtitleConfig must be an object", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"#ff0000, 0.5, &H800000FF", "#ff0000, 1, &H000000FF", "#ff0000, 0, &HFF0000FF",
            "#000, 0.9, &H1A000000", "#123456, 1, &H00563412", "#FFF, 0.25, &HBFFFFFFF"})
    void colourToAss(String colour, double opacity, String expected) {
        assertEquals(expected, RgbColor.parse(colour, "c").toAss(opacity));
    }

    @Test
    void colourToFfmpeg() {
        assertEquals("0xFFD700", RgbColor.parse("#ffd700", "c").toFfmpeg());
        assertEquals("0xAABBCC", RgbColor.parse("#abc", "c").toFfmpeg());
    }
}
