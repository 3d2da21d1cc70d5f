package dev.mediaorchestrator.burner;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A lenient WebVTT reader that yields each cue's times and its text lines.
 *
 * <p>Tolerates what real subtitle files contain: a UTF-8 BOM, CRLF or CR line ends, a
 * {@code WEBVTT} header with text after it (or no header at all), header metadata lines,
 * {@code NOTE}/{@code STYLE}/{@code REGION} blocks, cue identifiers, {@code mm:ss.ttt} times
 * (hours omitted), a comma as the decimal mark, fewer than three fraction digits, cue settings
 * after the end time, and runs of blank lines. A text-only block that directly follows a cue
 * (a stray blank line inside the cue) is taken as more text of that cue. Cues whose times cannot
 * be read or whose end is not after their start are skipped and counted ({@link #read}).
 *
 * <p>Cue text is cleaned: tags ({@code <i>}, {@code <c.x>}, {@code <00:01.000>}, …) are removed,
 * the usual character references ({@code &amp;}, {@code &lt;}, {@code &#39;}, …) are decoded,
 * lines are trimmed and blank lines dropped. No language logic happens here.
 */
public final class WebVttParser {

    /** One cue: start and end in milliseconds and its non-blank text lines. */
    public record VttCue(long startMillis, long endMillis, List<String> lines) {
        public VttCue {
            lines = List.copyOf(lines);
        }
    }

    private static final String TIME = "((?:\\d+:)?\\d{1,2}:\\d{1,2}(?:[.,]\\d{1,3})?)";
    private static final Pattern TIMING =
            Pattern.compile("^\\s*" + TIME + "\\s*-->\\s*" + TIME + "(?:\\s.*)?$");
    private static final Pattern TAG = Pattern.compile("<[^<>\\n]*>");
    private static final Pattern CHAR_REF =
            Pattern.compile("&(amp|lt|gt|quot|apos|nbsp|lrm|rlm|#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7});");

    private WebVttParser() {
    }

    /** The cues of a file, and how many cue blocks were skipped because they could not be read. */
    public record Parsed(List<VttCue> cues, int skipped) {
        public Parsed {
            cues = List.copyOf(cues);
        }
    }

    /** Parses the whole file text. Never throws for malformed content: bad cues are skipped. */
    public static List<VttCue> parse(String vtt) {
        return read(vtt).cues();
    }

    /**
     * Parses the whole file text and counts what it skips: a cue whose times cannot be read (a
     * timing line with a number no {@code long} holds, or an arrow between things that are not
     * times) or whose end is not after its start. Never throws for malformed content.
     */
    public static Parsed read(String vtt) {
        String text = vtt.startsWith("\uFEFF") ? vtt.substring(1) : vtt;
        text = text.replace("\r\n", "\n").replace('\r', '\n');
        List<VttCue> cues = new ArrayList<>();
        int skipped = 0;
        boolean previousWasCue = false;
        for (List<String> block : blocks(text)) {
            int timing = indexOfTiming(block);
            if (timing < 0) {
                if (block.stream().anyMatch(l -> l.contains("-->")) && !isMetadataBlock(block.get(0))) {
                    skipped++; // a cue whose timing line is not one
                    previousWasCue = false;
                } else if (previousWasCue && !isMetadataBlock(block.get(0))) {
                    VttCue last = cues.remove(cues.size() - 1);
                    List<String> lines = new ArrayList<>(last.lines());
                    lines.addAll(cleanLines(block));
                    cues.add(new VttCue(last.startMillis(), last.endMillis(), lines));
                } else {
                    previousWasCue = false;
                }
                continue;
            }
            Matcher m = TIMING.matcher(block.get(timing));
            m.matches();
            long start;
            long end;
            try {
                start = parseTime(m.group(1));
                end = parseTime(m.group(2));
            } catch (NumberFormatException | ArithmeticException e) {
                start = 0;
                end = 0;
            }
            if (end <= start) {
                skipped++;
                previousWasCue = false;
                continue;
            }
            cues.add(new VttCue(start, end, cleanLines(block.subList(timing + 1, block.size()))));
            previousWasCue = true;
        }
        return new Parsed(cues, skipped);
    }

    /**
     * Milliseconds of {@code [hh:]mm:ss[.ttt]} (a comma also accepted as decimal mark).
     *
     * @throws NumberFormatException or {@link ArithmeticException} for a number too large to hold
     */
    static long parseTime(String time) {
        String[] parts = time.replace(',', '.').split(":");
        long hours = parts.length == 3 ? Long.parseLong(parts[0]) : 0;
        long minutes = Long.parseLong(parts[parts.length - 2]);
        String secondsPart = parts[parts.length - 1];
        int dot = secondsPart.indexOf('.');
        long seconds = Long.parseLong(dot < 0 ? secondsPart : secondsPart.substring(0, dot));
        long millis = 0;
        if (dot >= 0) {
            String fraction = (secondsPart.substring(dot + 1) + "00").substring(0, 3);
            millis = Long.parseLong(fraction);
        }
        long totalSeconds = Math.addExact(Math.multiplyExact(Math.addExact(Math.multiplyExact(hours, 60), minutes), 60), seconds);
        return Math.addExact(Math.multiplyExact(totalSeconds, 1000), millis);
    }

    private static List<List<String>> blocks(String text) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            if (line.isBlank()) {
                if (!current.isEmpty()) {
                    blocks.add(current);
                    current = new ArrayList<>();
                }
            } else {
                current.add(line);
            }
        }
        if (!current.isEmpty()) {
            blocks.add(current);
        }
        return blocks;
    }

    /** The first timing line of a block; lines before it are a cue identifier (or a header). */
    private static int indexOfTiming(List<String> block) {
        for (int i = 0; i < block.size(); i++) {
            if (block.get(i).contains("-->") && TIMING.matcher(block.get(i)).matches()) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isMetadataBlock(String firstLine) {
        String head = firstLine.strip();
        for (String keyword : List.of("WEBVTT", "NOTE", "STYLE", "REGION")) {
            if (head.equals(keyword) || head.startsWith(keyword + " ") || head.startsWith(keyword + "\t")) {
                return true;
            }
        }
        return false;
    }

    private static List<String> cleanLines(List<String> raw) {
        List<String> lines = new ArrayList<>();
        for (String line : raw) {
            String cleaned = decodeEntities(TAG.matcher(line).replaceAll("")).strip();
            if (!cleaned.isEmpty()) {
                lines.add(cleaned);
            }
        }
        return lines;
    }

    static String decodeEntities(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        Matcher m = CHAR_REF.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(decodeReference(m.group(1), m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String decodeReference(String name, String original) {
        switch (name) {
            case "amp": return "&";
            case "lt": return "<";
            case "gt": return ">";
            case "quot": return "\"";
            case "apos": return "'";
            case "nbsp": return "\u00A0";
            case "lrm": return "\u200E";
            case "rlm": return "\u200F";
            default:
                int cp = name.startsWith("#x") || name.startsWith("#X")
                        ? Integer.parseInt(name.substring(2), 16)
                        : Integer.parseInt(name.substring(1));
                return Character.isValidCodePoint(cp) && cp != 0 ? new String(Character.toChars(cp)) : original;
        }
    }
}
