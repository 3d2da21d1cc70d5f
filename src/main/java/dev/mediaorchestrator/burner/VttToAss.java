package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.burner.WebVttParser.VttCue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Converts the contract's bilingual WebVTT into an ASS script for libass (ffmpeg's {@code ass}
 * filter).
 *
 * <h2>Cue → languages</h2>
 * Each cue's text lines (see {@link WebVttParser} for what the parser tolerates) lose a leading
 * {@code "- "}. By the contract the first line is English and the second Chinese. When a cue has
 * more lines, the Chinese part starts at the first line after the first that contains Han, kana,
 * hangul or bopomofo characters (or at the second line when none does); the lines before it are
 * English. A single line is Chinese when it contains such characters, English otherwise. Line
 * breaks inside one language become {@code \N}.
 *
 * <h2>Layout</h2>
 * One {@code Dialogue} per cue, English above Chinese (the cue's reading order), in one event so
 * that the two lines always stay together and never collide with each other:
 * {@code English text\N{\rChinese}Chinese text} on style {@code English}; a cue with one language
 * uses that language's style alone. Both styles: font {@code Noto Sans CJK SC}, bottom-centred
 * (Alignment 2), MarginV = MarginL = MarginR = size, where size = round(fontSize × height / 1080)
 * clamped to 12..72; {@code Chinese} at size, {@code English} at round(0.65 × size). PlayResX/Y are
 * the video's own size, so every number is in video pixels.
 *
 * <h2>Colours and the background box</h2>
 * With {@code BorderStyle=3} libass (like VSFilter) paints the opaque box in
 * <em>OutlineColour</em> — checked by rendering with ffmpeg 5.1/libass 0.17 — so the outline
 * colour could not be shown at the same time. This class uses libass's {@code BorderStyle=4}
 * instead: one box behind the whole event painted in <em>BackColour</em>
 * ({@code backgroundColor} at {@code backgroundOpacity}), its padding set by the Shadow field
 * (round(size / 6), at least 1), while the glyph outline keeps OutlineColour ({@code outlineColor}
 * at its opacity, width round(size / 18), at least 1). PrimaryColour and SecondaryColour are
 * {@code textColor}, opaque. Colours are {@code &HAABBGGRR} with alpha = 1 − opacity
 * ({@link RgbColor#toAss(double)}). The burner always renders with libass, so the libass-only
 * style is safe here; a VSFilter player would show BorderStyle 4 as an outline without the box.
 *
 * <h2>Escaping</h2>
 * {@code {} and {@code }} become libass's {@code \{} and {@code \}} so they never open or close an
 * override block; a backslash followed by {@code N}, {@code n} or {@code h} gets an invisible
 * WORD JOINER (U+2060) after it so it does not turn into a line break or a hard space (libass has
 * no backslash escape: {@code \\} shows two backslashes). Tabs become spaces, other control
 * characters are dropped. Times are {@code H:MM:SS.cc}, rounded to the nearest centisecond.
 */
public final class VttToAss {

    public static final String FONT = "Noto Sans CJK SC";
    public static final String ENGLISH_STYLE = "English";
    public static final String CHINESE_STYLE = "Chinese";
    public static final int MIN_SIZE = 12;
    public static final int MAX_SIZE = 72;

    static final String STYLE_FORMAT = "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
            + "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
            + "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding";
    static final String EVENT_FORMAT =
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text";

    private static final Pattern DASH_PREFIX = Pattern.compile("^-\\s+");
    private static final char WORD_JOINER = '\u2060';

    private final SubtitleConfig config;

    public VttToAss(SubtitleConfig config) {
        this.config = config;
    }

    /** The cue's text split by language; either part may be empty, never both. */
    public record BilingualCue(long startMillis, long endMillis, List<String> english, List<String> chinese) {
        public BilingualCue {
            english = List.copyOf(english);
            chinese = List.copyOf(chinese);
        }
    }

    /** The complete ASS script for a video of the given size. */
    public String convert(String vtt, int videoWidth, int videoHeight) {
        return convert(WebVttParser.parse(vtt), videoWidth, videoHeight);
    }

    /** The complete ASS script of cues already parsed ({@link WebVttParser#read}), for a video of the given size. */
    public String convert(List<VttCue> cues, int videoWidth, int videoHeight) {
        if (videoWidth <= 0 || videoHeight <= 0) {
            throw new IllegalArgumentException("video size must be positive, got " + videoWidth + "x" + videoHeight);
        }
        int size = scaledSize(config.fontSize(), videoHeight);
        StringBuilder out = new StringBuilder();
        out.append("[Script Info]\n")
                .append("; generated by media-orchestrator burner-ffmpeg\n")
                .append("ScriptType: v4.00+\n")
                .append("PlayResX: ").append(videoWidth).append('\n')
                .append("PlayResY: ").append(videoHeight).append('\n')
                .append("WrapStyle: 0\n")
                .append("ScaledBorderAndShadow: yes\n")
                .append("YCbCr Matrix: None\n\n");
        out.append("[V4+ Styles]\n").append(STYLE_FORMAT).append('\n')
                .append(styleLine(ENGLISH_STYLE, englishSize(size), size)).append('\n')
                .append(styleLine(CHINESE_STYLE, size, size)).append("\n\n");
        out.append("[Events]\n").append(EVENT_FORMAT).append('\n');
        for (VttCue cue : cues) {
            BilingualCue bilingual = split(cue);
            if (bilingual != null) {
                out.append(dialogueLine(bilingual)).append('\n');
            }
        }
        return out.toString();
    }

    /** size = round(fontSize × height / 1080) clamped to 12..72. */
    public static int scaledSize(double fontSize, int videoHeight) {
        long size = Math.round(fontSize * videoHeight / 1080.0);
        return (int) Math.max(MIN_SIZE, Math.min(MAX_SIZE, size));
    }

    /** The English style's size: round(0.65 × size). */
    public static int englishSize(int size) {
        return (int) Math.round(0.65 * size);
    }

    /** A {@code Style:} line; {@code baseSize} (the Chinese size) sets outline, box and margins. */
    String styleLine(String name, int fontSize, int baseSize) {
        String primary = config.textColor().toAss(1);
        String outline = config.outlineColor().toAss(config.outlineOpacity());
        String back = config.backgroundColor().toAss(config.backgroundOpacity());
        int outlineWidth = (int) Math.max(1, Math.round(baseSize / 18.0));
        int boxPadding = (int) Math.max(1, Math.round(baseSize / 6.0));
        return String.join(",",
                "Style: " + name, FONT, Integer.toString(fontSize), primary, primary, outline, back,
                "0", "0", "0", "0", "100", "100", "0", "0",
                "4", Integer.toString(outlineWidth), Integer.toString(boxPadding),
                "2", Integer.toString(baseSize), Integer.toString(baseSize), Integer.toString(baseSize), "1");
    }

    /** A {@code Dialogue:} line for one cue. */
    static String dialogueLine(BilingualCue cue) {
        String style;
        String text;
        if (cue.english().isEmpty()) {
            style = CHINESE_STYLE;
            text = joinEscaped(cue.chinese());
        } else {
            style = ENGLISH_STYLE;
            text = joinEscaped(cue.english());
            if (!cue.chinese().isEmpty()) {
                text += "\\N{\\r" + CHINESE_STYLE + "}" + joinEscaped(cue.chinese());
            }
        }
        return "Dialogue: 0," + assTime(cue.startMillis()) + "," + assTime(cue.endMillis()) + ","
                + style + ",,0,0,0,," + text;
    }

    /** Splits a cue's lines into English and Chinese (see the class comment); null if no text. */
    public static BilingualCue split(VttCue cue) {
        List<String> lines = new ArrayList<>();
        for (String line : cue.lines()) {
            String text = DASH_PREFIX.matcher(line).replaceFirst("").strip();
            if (!text.isEmpty()) {
                lines.add(text);
            }
        }
        if (lines.isEmpty()) {
            return null;
        }
        int chineseStart;
        if (lines.size() == 1) {
            chineseStart = containsCjk(lines.get(0)) ? 0 : 1;
        } else {
            chineseStart = 1;
            for (int i = 1; i < lines.size(); i++) {
                if (containsCjk(lines.get(i))) {
                    chineseStart = i;
                    break;
                }
            }
        }
        return new BilingualCue(cue.startMillis(), cue.endMillis(),
                lines.subList(0, chineseStart), lines.subList(chineseStart, lines.size()));
    }

    static boolean containsCjk(String s) {
        return s.codePoints().anyMatch(cp -> {
            Character.UnicodeScript script = Character.UnicodeScript.of(cp);
            return script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                    || script == Character.UnicodeScript.KATAKANA || script == Character.UnicodeScript.HANGUL
                    || script == Character.UnicodeScript.BOPOMOFO;
        });
    }

    /** {@code H:MM:SS.cc}, rounded to the nearest centisecond. */
    public static String assTime(long millis) {
        long cs = (Math.max(0, millis) + 5) / 10;
        return String.format(Locale.ROOT, "%d:%02d:%02d.%02d",
                cs / 360_000, (cs / 6_000) % 60, (cs / 100) % 60, cs % 100);
    }

    private static String joinEscaped(List<String> lines) {
        List<String> escaped = new ArrayList<>(lines.size());
        for (String line : lines) {
            escaped.add(escapeText(line));
        }
        return String.join("\\N", escaped);
    }

    /** Escapes plain text for an ASS Dialogue (see the class comment); a newline becomes {@code \N}. */
    public static String escapeText(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '{' -> out.append("\\{");
                case '}' -> out.append("\\}");
                case '\\' -> {
                    out.append('\\');
                    char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
                    if (next == 'N' || next == 'n' || next == 'h') {
                        out.append(WORD_JOINER);
                    }
                }
                case '\n' -> out.append("\\N");
                case '\t' -> out.append(' ');
                default -> {
                    if (c >= 0x20 && c != 0x7f) {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
