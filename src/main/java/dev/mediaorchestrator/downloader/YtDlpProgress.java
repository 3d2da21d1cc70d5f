package dev.mediaorchestrator.downloader;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follows yt-dlp's stdout, line by line, and turns it into the job's {@code downloading} progress:
 * {@value #PHASE_START} → {@value #PHASE_END}, never decreasing.
 *
 * <p>Lines understood:
 * <ul>
 *   <li>our machine-readable template ({@link YtDlpCommand#PROGRESS_TEMPLATE}):
 *       {@code [mo-progress] <status> <downloaded_bytes> <total_bytes> <total_bytes_estimate> <fragment_index> <fragment_count>},
 *       {@code NA} for a missing value; the fraction is downloaded/total, else downloaded/estimate,
 *       else fragment_index/fragment_count; status {@code finished} is 1;</li>
 *   <li>yt-dlp's default lines, in case the template is not used: {@code [download]  45.3% of ~ 10.00MiB at ...},
 *       {@code [download] 100% of 1.23MiB in 00:01};</li>
 *   <li>{@code [info] <id>: Downloading 1 format(s): 137+140}: how many files will be downloaded
 *       (the {@code +}-joined format ids);</li>
 *   <li>{@code [download] Destination: ...} and {@code [download] ... has already been downloaded}:
 *       the start of the next file;</li>
 *   <li>{@code [Merger] Merging formats into ...}: all files are done.</li>
 * </ul>
 *
 * <p><b>Several files</b> (video then audio, merged afterwards): yt-dlp restarts its percentage
 * for each file, so each file gets a fixed share of the whole: with one file it is all of it; with
 * two or more the first (the video, by far the larger) gets {@value #FIRST_FILE_SHARE} and the
 * others split the rest equally. The whole is the completed files' shares plus the current file's
 * share times its fraction. yt-dlp's own percentage can go down inside one file (its size estimate
 * grows with fragmented downloads), so the reported value is the maximum seen. Lines that say
 * nothing about progress are ignored. All methods are synchronized (stdout and stderr readers may
 * share one instance).
 */
public final class YtDlpProgress {

    public static final double PHASE_START = 0.1;
    public static final double PHASE_END = 0.6;
    public static final double FIRST_FILE_SHARE = 0.8;
    /** The first word of our progress-template lines. */
    public static final String TEMPLATE_TAG = "[mo-progress]";

    private static final Pattern DEFAULT_LINE = Pattern.compile("^\\[download\\]\\s+(\\d{1,3}(?:\\.\\d+)?)%");
    private static final Pattern FORMATS_LINE = Pattern.compile("^\\[info\\] .*: Downloading \\d+ format\\(s\\): (\\S+)");
    private static final Pattern DESTINATION_LINE = Pattern.compile("^\\[download\\] (Destination: |.* has already been downloaded)");
    private static final Pattern MERGER_LINE = Pattern.compile("^\\[Merger\\] ");

    private int files = 1;
    private int current = -1;
    private double currentFraction;
    private double best;

    /**
     * Feeds one line of yt-dlp's stdout.
     *
     * @return the new mapped progress when this line raised it, else empty
     */
    public synchronized OptionalDouble accept(String line) {
        if (line == null) {
            return OptionalDouble.empty();
        }
        String l = stripEnd(line);
        Matcher m = FORMATS_LINE.matcher(l);
        if (m.find()) {
            files = Math.max(1, m.group(1).split("\\+").length);
            return OptionalDouble.empty();
        }
        if (DESTINATION_LINE.matcher(l).find()) {
            current++;
            currentFraction = l.endsWith("has already been downloaded") ? 1.0 : 0.0;
            if (current >= files) {
                files = current + 1;
            }
            return update();
        }
        if (MERGER_LINE.matcher(l).find()) {
            current = files - 1;
            currentFraction = 1.0;
            return update();
        }
        OptionalDouble f = fileFraction(l);
        if (f.isEmpty()) {
            return OptionalDouble.empty();
        }
        if (current < 0) {
            current = 0;
        }
        currentFraction = Math.max(currentFraction, f.getAsDouble());
        return update();
    }

    /** The overall download fraction 0..1 so far (maximum seen). */
    public synchronized double fraction() {
        return best;
    }

    /** The contract's progress value for the downloading phase, {@value #PHASE_START}..{@value #PHASE_END}. */
    public synchronized double progress() {
        return toPhase(best);
    }

    /** Maps an overall fraction into {@value #PHASE_START}..{@value #PHASE_END}. */
    public static double toPhase(double fraction) {
        double f = Math.max(0.0, Math.min(1.0, fraction));
        return PHASE_START + (PHASE_END - PHASE_START) * f;
    }

    /**
     * The fraction of the file being downloaded that one line reports (template or default format),
     * 0..1, or empty for any other line.
     */
    public static OptionalDouble fileFraction(String line) {
        if (line == null) {
            return OptionalDouble.empty();
        }
        String l = stripEnd(line);
        if (l.startsWith(TEMPLATE_TAG)) {
            return templateFraction(l.substring(TEMPLATE_TAG.length()).trim());
        }
        Matcher m = DEFAULT_LINE.matcher(l);
        if (m.find()) {
            return OptionalDouble.of(clamp(Double.parseDouble(m.group(1)) / 100.0));
        }
        return OptionalDouble.empty();
    }

    private static OptionalDouble templateFraction(String rest) {
        String[] f = rest.split("\\s+");
        if (f.length < 6) {
            return OptionalDouble.empty();
        }
        if (f[0].equals("finished")) {
            return OptionalDouble.of(1.0);
        }
        if (!f[0].equals("downloading")) {
            return OptionalDouble.empty();
        }
        double done = number(f[1]);
        double total = number(f[2]);
        double estimate = number(f[3]);
        double fragIndex = number(f[4]);
        double fragCount = number(f[5]);
        if (done >= 0 && total > 0) {
            return OptionalDouble.of(clamp(done / total));
        }
        if (done >= 0 && estimate > 0) {
            return OptionalDouble.of(clamp(done / estimate));
        }
        if (fragIndex >= 0 && fragCount > 0) {
            return OptionalDouble.of(clamp(fragIndex / fragCount));
        }
        return OptionalDouble.empty();
    }

    private OptionalDouble update() {
        double whole = 0;
        for (int i = 0; i < current && i < files; i++) {
            whole += share(i);
        }
        whole += share(Math.min(current, files - 1)) * currentFraction;
        whole = clamp(whole);
        if (whole > best) {
            best = whole;
            return OptionalDouble.of(toPhase(best));
        }
        return OptionalDouble.empty();
    }

    private double share(int index) {
        if (files == 1) {
            return 1.0;
        }
        return index == 0 ? FIRST_FILE_SHARE : (1.0 - FIRST_FILE_SHARE) / (files - 1);
    }

    private static double number(String s) {
        try {
            double v = Double.parseDouble(s);
            return Double.isFinite(v) ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static double clamp(double v) {
        return Math.max(0.0, Math.min(1.0, v));
    }

    private static String stripEnd(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\r' || s.charAt(end - 1) == '\n' || s.charAt(end - 1) == ' ')) {
            end--;
        }
        // a carriage-return progress bar (without --newline) keeps only its last state
        int cr = s.lastIndexOf('\r', end - 1);
        return s.substring(cr < 0 ? 0 : cr + 1, end);
    }
}
