package dev.mediaorchestrator.burner;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The burner's {@code engineOptions.subtitleConfig}, read from the map Jackson gives for the JSON
 * object. Absent fields take the contract's defaults; unknown fields are ignored. A present but
 * invalid value throws {@link IllegalArgumentException} whose message starts with the field's
 * path (for example {@code subtitleConfig.timeSegmentEffects[1].endTime}), so the route can fail
 * the job with a readable error.
 *
 * <p>Numbers may arrive as any {@link Number} or as a numeric string; booleans as
 * {@link Boolean} or {@code "true"}/{@code "false"}. Font sizes are in pixels of a 1080-line
 * video and are scaled to the real video height when rendering.
 *
 * @param fontSize           Chinese line size at 1080p (default 36); English is 0.65 × that
 * @param outlineOpacity     opacity of the outline colour (default 0.9; optional field
 *                           {@code outlineOpacity})
 * @param timeSegmentEffects black-screen / mute segments, in the order given
 * @param hintText           text drawn over black-screen segments
 */
public record SubtitleConfig(
        double fontSize,
        RgbColor textColor,
        RgbColor outlineColor,
        double outlineOpacity,
        RgbColor backgroundColor,
        double backgroundOpacity,
        List<TimeSegmentEffect> timeSegmentEffects,
        HintTextConfig hintText) {

    public static final double DEFAULT_FONT_SIZE = 36;
    public static final double DEFAULT_OUTLINE_OPACITY = 0.9;
    public static final double DEFAULT_BACKGROUND_OPACITY = 0.5;
    static final double MAX_FONT_SIZE = 1000;
    static final int MAX_HINT_TEXT_LENGTH = 500;

    private static final String ROOT = "subtitleConfig";

    public SubtitleConfig {
        timeSegmentEffects = List.copyOf(timeSegmentEffects);
    }

    /** The contract's defaults: 36, #fff text, #000 outline at 0.9, #000 box at 0.5, no effects. */
    public static SubtitleConfig defaults() {
        return new SubtitleConfig(DEFAULT_FONT_SIZE, RgbColor.WHITE, RgbColor.BLACK,
                DEFAULT_OUTLINE_OPACITY, RgbColor.BLACK, DEFAULT_BACKGROUND_OPACITY, List.of(),
                HintTextConfig.DISABLED);
    }

    /** Reads {@code engineOptions.subtitleConfig}; a null map or absent key gives the defaults. */
    public static SubtitleConfig fromEngineOptions(Map<String, ?> engineOptions) {
        return engineOptions == null ? defaults() : fromMap(engineOptions.get(ROOT));
    }

    /** Reads a {@code subtitleConfig} value (a map, or null for the defaults). */
    public static SubtitleConfig fromMap(Object subtitleConfig) {
        if (subtitleConfig == null) {
            return defaults();
        }
        Fields f = Fields.of(subtitleConfig, ROOT);
        double fontSize = f.fontSize("fontSize", DEFAULT_FONT_SIZE);
        RgbColor text = f.color("textColor", RgbColor.WHITE);
        RgbColor outline = f.color("outlineColor", RgbColor.BLACK);
        double outlineOpacity = f.opacity("outlineOpacity", DEFAULT_OUTLINE_OPACITY);
        RgbColor background = f.color("backgroundColor", RgbColor.BLACK);
        double backgroundOpacity = f.opacity("backgroundOpacity", DEFAULT_BACKGROUND_OPACITY);
        List<TimeSegmentEffect> effects = new ArrayList<>();
        List<?> rawEffects = f.list("timeSegmentEffects");
        for (int i = 0; i < rawEffects.size(); i++) {
            effects.add(TimeSegmentEffect.read(
                    Fields.of(rawEffects.get(i), f.path("timeSegmentEffects") + "[" + i + "]")));
        }
        Object hint = f.get("hintTextConfig");
        HintTextConfig hintText = hint == null
                ? HintTextConfig.DISABLED
                : HintTextConfig.read(Fields.of(hint, f.path("hintTextConfig")));
        return new SubtitleConfig(fontSize, text, outline, outlineOpacity, background,
                backgroundOpacity, effects, hintText);
    }

    /** The segments that black out the video. */
    public List<TimeSegmentEffect> blackSegments() {
        return timeSegmentEffects.stream().filter(TimeSegmentEffect::blackScreen).toList();
    }

    /** The segments that silence the audio. */
    public List<TimeSegmentEffect> muteSegments() {
        return timeSegmentEffects.stream().filter(TimeSegmentEffect::muteAudio).toList();
    }

    /** One {@code timeSegmentEffects[]} entry; times in seconds, {@code endTime > startTime}. */
    public record TimeSegmentEffect(double startTime, double endTime, boolean blackScreen,
                                    boolean muteAudio) {

        public TimeSegmentEffect {
            if (!(startTime >= 0) || Double.isInfinite(startTime) || !(endTime > startTime)
                    || Double.isInfinite(endTime)) {
                throw new IllegalArgumentException(
                        "segment needs 0 <= startTime < endTime, got " + startTime + ".." + endTime);
            }
        }

        static TimeSegmentEffect read(Fields f) {
            double start = f.number("startTime", null);
            double end = f.number("endTime", null);
            if (start < 0) {
                throw new IllegalArgumentException(f.path("startTime") + " must be >= 0, got " + start);
            }
            if (!(end > start)) {
                throw new IllegalArgumentException(
                        f.path("endTime") + " must be greater than startTime, got " + end);
            }
            return new TimeSegmentEffect(start, end, f.bool("blackScreen", false),
                    f.bool("muteAudio", false));
        }
    }

    /** Where the hint text sits on the frame. */
    public enum Position { CENTER, TOP, BOTTOM }

    /**
     * {@code hintTextConfig}: text drawn over black-screen segments. {@code enabled} defaults to
     * false; an enabled hint with blank text draws nothing ({@link #isDrawn()}).
     */
    public record HintTextConfig(boolean enabled, String text, double fontSize, RgbColor textColor,
                                 Position position) {

        public static final double DEFAULT_FONT_SIZE = 48;
        public static final HintTextConfig DISABLED =
                new HintTextConfig(false, "", DEFAULT_FONT_SIZE, RgbColor.WHITE, Position.CENTER);

        static HintTextConfig read(Fields f) {
            boolean enabled = f.bool("enabled", false);
            String text = f.string("text", "").strip();
            if (text.length() > MAX_HINT_TEXT_LENGTH) {
                throw new IllegalArgumentException(f.path("text") + " is longer than "
                        + MAX_HINT_TEXT_LENGTH + " characters");
            }
            double fontSize = f.fontSize("fontSize", DEFAULT_FONT_SIZE);
            RgbColor color = f.color("textColor", RgbColor.WHITE);
            String position = f.string("position", "center").strip().toUpperCase(Locale.ROOT);
            Position pos;
            try {
                pos = Position.valueOf(position);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(f.path("position")
                        + " must be center, top or bottom, got '" + f.get("position") + "'");
            }
            return new HintTextConfig(enabled, text, fontSize, color, pos);
        }

        /** Whether anything is drawn: enabled and non-blank text. */
        public boolean isDrawn() {
            return enabled && !text.isBlank();
        }
    }

    /** Typed, path-aware access to one JSON object given as a map. */
    private record Fields(Map<?, ?> map, String prefix) {

        static Fields of(Object value, String path) {
            if (!(value instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException(path + " must be an object");
            }
            return new Fields(m, path);
        }

        String path(String key) {
            return prefix + "." + key;
        }

        Object get(String key) {
            return map.get(key);
        }

        double number(String key, Double fallback) {
            Object v = map.get(key);
            if (v == null) {
                if (fallback == null) {
                    throw new IllegalArgumentException(path(key) + " is required");
                }
                return fallback;
            }
            double d;
            if (v instanceof Number n) {
                d = n.doubleValue();
            } else if (v instanceof String s) {
                try {
                    d = Double.parseDouble(s.trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(path(key) + " must be a number, got '" + s + "'");
                }
            } else {
                throw new IllegalArgumentException(path(key) + " must be a number, got " + v);
            }
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException(path(key) + " must be a finite number, got " + v);
            }
            return d;
        }

        double fontSize(String key, double fallback) {
            double d = number(key, fallback);
            if (!(d > 0) || d > MAX_FONT_SIZE) {
                throw new IllegalArgumentException(
                        path(key) + " must be > 0 and <= " + (int) MAX_FONT_SIZE + ", got " + map.get(key));
            }
            return d;
        }

        double opacity(String key, double fallback) {
            double d = number(key, fallback);
            if (d < 0 || d > 1) {
                throw new IllegalArgumentException(path(key) + " must be within 0..1, got " + map.get(key));
            }
            return d;
        }

        boolean bool(String key, boolean fallback) {
            Object v = map.get(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
                return Boolean.parseBoolean(s);
            }
            throw new IllegalArgumentException(path(key) + " must be true or false, got " + v);
        }

        String string(String key, String fallback) {
            Object v = map.get(key);
            if (v == null) {
                return fallback;
            }
            if (v instanceof String s) {
                return s;
            }
            throw new IllegalArgumentException(path(key) + " must be a string, got " + v);
        }

        RgbColor color(String key, RgbColor fallback) {
            Object v = map.get(key);
            return v == null ? fallback : RgbColor.parse(String.valueOf(v), path(key));
        }

        List<?> list(String key) {
            Object v = map.get(key);
            if (v == null) {
                return List.of();
            }
            if (v instanceof List<?> l) {
                return l;
            }
            throw new IllegalArgumentException(path(key) + " must be an array");
        }
    }
}
