package dev.mediaorchestrator.burner;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Keeps the last lines of ffmpeg's stderr for the {@code failed} callback's {@code error}.
 * Feed it line by line while ffmpeg runs ({@link #accept(String)}, thread-safe), or cut a
 * captured stderr with {@link #lastLines(String, int)}. Blank lines are skipped, and a text line
 * containing carriage returns (progress stats) counts as its last part.
 */
public final class FfmpegErrors {

    public static final int DEFAULT_MAX_LINES = 15;
    /** A single line longer than this is cut, so one runaway line cannot flood the callback. */
    public static final int MAX_LINE_LENGTH = 500;

    private final int maxLines;
    private final Deque<String> lines = new ArrayDeque<>();

    public FfmpegErrors() {
        this(DEFAULT_MAX_LINES);
    }

    public FfmpegErrors(int maxLines) {
        if (maxLines < 1) {
            throw new IllegalArgumentException("maxLines must be >= 1");
        }
        this.maxLines = maxLines;
    }

    /** Adds one stderr line (it may still contain {@code \r}-separated parts). */
    public synchronized void accept(String line) {
        if (line == null) {
            return;
        }
        String text = line.stripTrailing();
        text = text.substring(text.lastIndexOf('\r') + 1).strip();
        if (text.isEmpty()) {
            return;
        }
        if (text.length() > MAX_LINE_LENGTH) {
            text = text.substring(0, MAX_LINE_LENGTH) + "…";
        }
        lines.addLast(text);
        while (lines.size() > maxLines) {
            lines.removeFirst();
        }
    }

    /** The kept lines, oldest first. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The kept lines joined with {@code \n}; {@code fallback} when there are none. */
    public synchronized String message(String fallback) {
        return lines.isEmpty() ? fallback : String.join("\n", lines);
    }

    /** The last {@code maxLines} non-blank lines of a captured stderr, joined with {@code \n}. */
    public static String lastLines(String stderr, int maxLines) {
        FfmpegErrors errors = new FfmpegErrors(maxLines);
        if (stderr != null) {
            for (String line : stderr.split("\n", -1)) {
                errors.accept(line);
            }
        }
        return errors.message("");
    }
}
