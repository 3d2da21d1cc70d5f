package dev.mediaorchestrator.burner;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads ffmpeg's {@code -progress} output and maps it to the contract's job progress.
 *
 * <p>The output is {@code key=value} lines in blocks, each block ending with
 * {@code progress=continue} or {@code progress=end}. The encoded position is taken from
 * {@code out_time_us}, else {@code out_time_ms} (in ffmpeg 5.1 both are microseconds despite the
 * name), else {@code out_time} ({@code HH:MM:SS.micro}); {@code N/A} and negative values (ffmpeg
 * prints them before the first packet) count as 0.
 *
 * <p>A parser instance is fed line by line (from a tailed file or a pipe) and is not thread-safe;
 * {@link Mapper} and {@link CallbackThrottle} are.
 */
public final class FfmpegProgress {

    /** The end of one block: position in seconds, frame count (−1 if absent), whether it was the last. */
    public record Snapshot(double outTimeSeconds, long frame, boolean end) {
    }

    private static final Pattern OUT_TIME = Pattern.compile("(-)?(\\d+):(\\d{1,2}):(\\d{1,2}(?:\\.\\d+)?)");

    private Long outTimeUs;
    private Long outTimeMs;
    private Double outTime;
    private long frame = -1;

    /**
     * Feeds one line; returns the block's snapshot when the line is its {@code progress=} line.
     * Unknown keys and malformed lines are ignored.
     */
    public Optional<Snapshot> accept(String line) {
        String trimmed = line.strip();
        int eq = trimmed.indexOf('=');
        if (eq <= 0) {
            return Optional.empty();
        }
        String key = trimmed.substring(0, eq);
        String value = trimmed.substring(eq + 1).strip();
        switch (key) {
            case "out_time_us" -> outTimeUs = parseLong(value);
            case "out_time_ms" -> outTimeMs = parseLong(value);
            case "out_time" -> outTime = parseClock(value);
            case "frame" -> {
                Long f = parseLong(value);
                frame = f == null ? -1 : f;
            }
            case "progress" -> {
                Snapshot snapshot = new Snapshot(position(), frame, "end".equals(value));
                outTimeUs = null;
                outTimeMs = null;
                outTime = null;
                frame = -1;
                return Optional.of(snapshot);
            }
            default -> {
                // other keys (bitrate, speed, …) are not needed
            }
        }
        return Optional.empty();
    }

    /** All complete blocks of a captured output (CRLF or LF). */
    public static List<Snapshot> parseAll(String text) {
        FfmpegProgress parser = new FfmpegProgress();
        List<Snapshot> snapshots = new ArrayList<>();
        for (String line : text.split("\r?\n|\r")) {
            parser.accept(line).ifPresent(snapshots::add);
        }
        return snapshots;
    }

    private double position() {
        Long micros = outTimeUs != null ? outTimeUs : outTimeMs;
        if (micros != null) {
            return Math.max(0, micros) / 1_000_000.0;
        }
        return outTime != null ? outTime : 0;
    }

    private static Long parseLong(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Double parseClock(String value) {
        Matcher m = OUT_TIME.matcher(value);
        if (!m.matches()) {
            return null;
        }
        if (m.group(1) != null) {
            return 0.0;
        }
        return Long.parseLong(m.group(2)) * 3600 + Long.parseLong(m.group(3)) * 60
                + Double.parseDouble(m.group(4));
    }

    /**
     * Maps ffmpeg positions to the running phase's 0.2→0.9: {@code 0.2 + 0.7 × position / duration},
     * clamped to the range and never lower than a value it returned before. With an unknown
     * duration (≤ 0) it stays at 0.2 until the end block, which gives 0.9.
     */
    public static final class Mapper {
        public static final double START = 0.2;
        public static final double END = 0.9;

        private final double durationSeconds;
        private double last = START;

        public Mapper(double durationSeconds) {
            this.durationSeconds = durationSeconds;
        }

        /** The job progress for a position in seconds. */
        public synchronized double progress(double outTimeSeconds) {
            double p = START;
            if (durationSeconds > 0 && Double.isFinite(outTimeSeconds)) {
                double fraction = Math.max(0, Math.min(1, outTimeSeconds / durationSeconds));
                p = fraction >= 1 ? END : START + (END - START) * fraction;
            }
            last = Math.max(last, p);
            return last;
        }

        /** The job progress for a snapshot: as {@link #progress(double)}, and {@link #END} at the end. */
        public synchronized double progress(Snapshot snapshot) {
            if (snapshot.end()) {
                last = END;
                return END;
            }
            return progress(snapshot.outTimeSeconds());
        }
    }

    /**
     * Decides when a running-phase callback is due: the first time, then whenever progress rose by
     * at least 10 percentage points or 5 seconds passed since the last one sent (so a long job
     * still reports at least every 5 s).
     */
    public static final class CallbackThrottle {
        public static final double STEP = 0.1;
        public static final long INTERVAL_MILLIS = 5_000;

        private final double step;
        private final long intervalMillis;
        private boolean sentAny;
        private double lastProgress;
        private long lastMillis;

        public CallbackThrottle() {
            this(STEP, INTERVAL_MILLIS);
        }

        public CallbackThrottle(double step, long intervalMillis) {
            this.step = step;
            this.intervalMillis = intervalMillis;
        }

        /**
         * Whether a callback with {@code progress} should be sent at {@code nowMillis}; when it
         * answers true it records the send, so ask once per candidate.
         */
        public synchronized boolean due(double progress, long nowMillis) {
            boolean due = !sentAny
                    || progress - lastProgress >= step - 1e-9
                    || nowMillis - lastMillis >= intervalMillis;
            if (due) {
                sentAny = true;
                lastProgress = progress;
                lastMillis = nowMillis;
            }
            return due;
        }
    }
}
