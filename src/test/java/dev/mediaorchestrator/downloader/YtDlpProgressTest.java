package dev.mediaorchestrator.downloader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class YtDlpProgressTest {

    private static final double EPS = 1e-9;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // default-format lines as yt-dlp prints them (the first two are the brief's examples)
            "[download]  45.3% of ~ 10.00MiB at 1.00MiB/s ETA 00:05|0.453",
            "[download] 100% of 1.23MiB in 00:01|1.0",
            // real lines from yt-dlp 2023.03.04 (YtDlpFixtures)
            "[download]   0.9% of  112.96KiB at  Unknown B/s ETA Unknown|0.009",
            "[download]  55.8% of  112.96KiB at   48.44MiB/s ETA 00:00|0.558",
            "[download] 100.0% of  112.96KiB at   68.89MiB/s ETA 00:00|1.0",
            "[download] 100% of  112.96KiB in 00:00:00 at 28.25MiB/s|1.0",
            "[download]  13.7% of ~   7.28MiB at    1.98MiB/s ETA 00:03 (frag 1/3)|0.137",
            "[download] 100% of    5.82MiB in 00:00:02 at 1.98MiB/s|1.0",
            // our template: status downloaded total estimate fragment_index fragment_count
            "[mo-progress] downloading 8370726 20469989 NA NA NA|0.408927",
            "[mo-progress] downloading 5090023 NA 6098610.0 2 3|0.834620",
            "[mo-progress] downloading 99245 NA 183507.80000000002 4 7|0.540822",
            "[mo-progress] finished 6098610 6098610 NA NA NA|1.0",
            "[mo-progress] downloading NA NA NA 2 4|0.5",
    })
    void readsTheFractionOfTheCurrentFile(String line, double expected) {
        OptionalDouble f = YtDlpProgress.fileFraction(line);
        assertTrue(f.isPresent(), line);
        assertEquals(expected, f.getAsDouble(), 1e-6, line);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[generic] Extracting URL: http://127.0.0.1:34253/clip.mp4",
            "[info] clip: Downloading 1 format(s): mp4",
            "[download] Destination: /tmp/cap/w1/video.mp4",
            "[dashsegments] Total fragments: 3",
            "[Merger] Merging formats into \"/tmp/cap/w3/video.mp4\"",
            "WARNING: [generic] Falling back on generic information extractor",
            "[mo-progress] downloading NA NA NA NA NA",
            "[mo-progress] error",
            "[download] 45.3 of something",
            "",
    })
    void ignoresLinesThatAreNotProgress(String line) {
        assertTrue(YtDlpProgress.fileFraction(line).isEmpty(), line);
    }

    @Test
    void aCarriageReturnProgressBarKeepsItsLastState() {
        String bar = "[download]  10.0% of 1.00MiB\r[download]  20.0% of 1.00MiB\r[download]  30.0% of 1.00MiB";
        assertEquals(0.3, YtDlpProgress.fileFraction(bar).getAsDouble(), EPS);
    }

    @Test
    void mapsIntoTheDownloadingPhase() {
        assertEquals(0.1, YtDlpProgress.toPhase(0), EPS);
        assertEquals(0.35, YtDlpProgress.toPhase(0.5), EPS);
        assertEquals(0.6, YtDlpProgress.toPhase(1), EPS);
        assertEquals(0.6, YtDlpProgress.toPhase(7), EPS);
        assertEquals(0.1, YtDlpProgress.toPhase(-1), EPS);
    }

    @Test
    void singleFileTemplateRunGoesFromPhaseStartToPhaseEnd() {
        List<Double> values = feed(YtDlpFixtures.SINGLE_FILE_TEMPLATE_STDOUT);
        TestMedia.assertNonDecreasing(values);
        assertTrue(values.get(0) > 0.1 && values.get(0) < 0.11, "first value just above 0.1: " + values);
        assertEquals(0.6, values.get(values.size() - 1), EPS);
        // 8375192 of 20469989 bytes is reported at 0.1 + 0.5 * 0.4091 for a one-file download
        assertTrue(values.stream().anyMatch(v -> Math.abs(v - (0.1 + 0.5 * 8375192 / 20469989.0)) < 1e-9), values.toString());
    }

    @Test
    void singleFileDefaultRunGoesFromPhaseStartToPhaseEnd() {
        List<Double> values = feed(YtDlpFixtures.SINGLE_FILE_DEFAULT_STDOUT);
        TestMedia.assertNonDecreasing(values);
        assertEquals(0.6, values.get(values.size() - 1), EPS);
        assertTrue(values.stream().anyMatch(v -> Math.abs(v - 0.3035) < 1e-9), "40.7% maps to 0.3035: " + values);
    }

    @Test
    void mergedRunGivesTheVideoEightyPercentAndTheAudioTheRest() {
        YtDlpProgress p = new YtDlpProgress();
        List<Double> values = new ArrayList<>();
        double atAudioStart = -1;
        for (String line : YtDlpFixtures.DASH_MERGE_TEMPLATE_STDOUT.lines().toList()) {
            if (line.startsWith("[download] Destination:") && line.endsWith(".m4a")) {
                atAudioStart = p.progress();
            }
            p.accept(line).ifPresent(values::add);
        }
        assertEquals(0.1 + 0.5 * YtDlpProgress.FIRST_FILE_SHARE, atAudioStart, EPS, "video done = 0.5");
        TestMedia.assertNonDecreasing(values);
        assertEquals(0.6, values.get(values.size() - 1), EPS);
        assertTrue(values.stream().anyMatch(v -> v > 0.5 && v < 0.6), "audio progress shows between 0.5 and 0.6: " + values);
    }

    @Test
    void mergedDefaultRunNeverGoesBackWhenYtDlpsEstimateGrows() {
        // yt-dlp's own percentage drops inside one file (33.3% -> 0.0%, 28.6% -> 21.9%, ...) as its size estimate grows
        List<Double> raw = YtDlpFixtures.DASH_MERGE_DEFAULT_STDOUT.lines()
                .map(YtDlpProgress::fileFraction).filter(OptionalDouble::isPresent).map(OptionalDouble::getAsDouble).toList();
        assertTrue(hasDrop(raw), "the fixture really has drops: " + raw);

        List<Double> values = feed(YtDlpFixtures.DASH_MERGE_DEFAULT_STDOUT);
        TestMedia.assertNonDecreasing(values);
        assertEquals(0.6, values.get(values.size() - 1), EPS);
        assertTrue(values.stream().allMatch(v -> v >= 0.1 && v <= 0.6));
    }

    @Test
    void smallFileFromTheBuiltCommandEndsAtPhaseEnd() {
        YtDlpProgress p = new YtDlpProgress();
        List<Double> values = feed(p, YtDlpFixtures.SMALL_FILE_TEMPLATE_STDOUT);
        TestMedia.assertNonDecreasing(values);
        assertEquals(1.0, p.fraction(), EPS);
        assertEquals(0.6, p.progress(), EPS);
    }

    @Test
    void aMergerLineCompletesTheDownloadAndLaterLinesChangeNothing() {
        YtDlpProgress p = new YtDlpProgress();
        p.accept("[info] abc: Downloading 1 format(s): 137+140");
        p.accept("[download] Destination: /w/video.f137.mp4");
        p.accept("[download]  50.0% of 10.00MiB at 1.00MiB/s ETA 00:05");
        assertEquals(0.1 + 0.5 * 0.4, p.progress(), EPS);
        assertTrue(p.accept("[Merger] Merging formats into \"/w/video.mp4\"").isPresent());
        assertEquals(0.6, p.progress(), EPS);
        assertFalse(p.accept("[download]  10.0% of 1.00MiB").isPresent());
        assertEquals(0.6, p.progress(), EPS);
    }

    @Test
    void threeFilesShareTheLastFifthEqually() {
        YtDlpProgress p = new YtDlpProgress();
        p.accept("[info] x: Downloading 1 format(s): 1+2+3");
        p.accept("[download] Destination: a");
        p.accept("[download] 100% of 1.00MiB in 00:01");
        p.accept("[download] Destination: b");
        p.accept("[download] 100% of 1.00MiB in 00:01");
        assertEquals(0.9, p.fraction(), EPS);
        p.accept("[download] Destination: c");
        p.accept("[download]  50.0% of 1.00MiB");
        assertEquals(0.95, p.fraction(), EPS);
    }

    @Test
    void anAlreadyDownloadedFileCountsAsDone() {
        YtDlpProgress p = new YtDlpProgress();
        p.accept("[info] x: Downloading 1 format(s): mp4");
        assertTrue(p.accept("[download] /w/video.mp4 has already been downloaded").isPresent());
        assertEquals(0.6, p.progress(), EPS);
    }

    @Test
    void progressBeforeAnyDestinationLineStillCounts() {
        YtDlpProgress p = new YtDlpProgress();
        assertEquals(0.35, p.accept("[download]  50.0% of 1.00MiB").getAsDouble(), EPS);
        assertTrue(p.accept(null).isEmpty());
    }

    private static boolean hasDrop(List<Double> values) {
        for (int i = 1; i < values.size(); i++) {
            if (values.get(i) < values.get(i - 1)) {
                return true;
            }
        }
        return false;
    }

    private static List<Double> feed(String stdout) {
        return feed(new YtDlpProgress(), stdout);
    }

    private static List<Double> feed(YtDlpProgress p, String stdout) {
        List<Double> values = new ArrayList<>();
        stdout.lines().forEach(l -> p.accept(l).ifPresent(values::add));
        assertFalse(values.isEmpty());
        return values;
    }
}
