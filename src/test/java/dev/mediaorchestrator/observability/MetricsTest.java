package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.Job;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How job state changes become meters: each transition once, the end of a job once however often
 * the job is written afterwards, nothing for a job read back from the bucket, older views ignored.
 */
class MetricsTest {
    private final Metrics metrics = new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), Duration.ofHours(1));

    @AfterEach
    void close() {
        metrics.close();
    }

    private PrometheusText scrape() {
        return new PrometheusText(metrics.scrape());
    }

    private static Job job(String id, long createdAt) {
        return new Job(id, "m1", Engine.DOWNLOADER, Map.of(), createdAt, "nonce");
    }

    /** The job's next value: {@code status} at {@code ts}. */
    private static Job move(Job job, String status, long ts) {
        Job.Draft d = job.draft();
        d.status = status;
        d.ts = ts;
        if (Job.TERMINAL.contains(status)) {
            d.durationMs = ts - job.createdAt;
        }
        return d.build();
    }

    private static Job at(Job job, long ts) {
        Job.Draft d = job.draft();
        d.ts = ts;
        return d.build();
    }

    @Test
    void aJobIsCountedOnceWithTheTimeOfEachStatus() {
        Job j = job("job_a", 10_000);
        metrics.jobCreated(j);
        j = move(j, "preparing", 11_000);
        metrics.jobChanged(j);
        j = move(j, "fetching_metadata", 11_500);
        metrics.jobChanged(j);
        metrics.jobChanged(j); // written again with no change of status
        j = move(j, "running", 14_000);
        metrics.jobChanged(j);
        j = move(j, "completed", 20_000);
        metrics.jobChanged(j);
        metrics.jobChanged(j); // e.g. the callback delivered: still one end
        j = at(j, 25_000);
        metrics.jobChanged(j);

        PrometheusText m = scrape();
        String e = "media-downloader";
        assertEquals(1, m.value("mediaorch_jobs_submitted_total", "engine", e));
        assertEquals(1, m.value("mediaorch_jobs_completed_total", "engine", e));
        assertEquals(0, m.value("mediaorch_jobs_failed_total", "engine", e));
        assertEquals(1, m.value("mediaorch_job_duration_seconds_count"));
        assertEquals(10.0, m.value("mediaorch_job_duration_seconds_sum", "engine", e, "status", "completed"), 1e-9);
        assertEquals(1.0, m.value("mediaorch_job_status_seconds_sum", "engine", e, "status", "queued"), 1e-9);
        assertEquals(0.5, m.value("mediaorch_job_status_seconds_sum", "engine", e, "status", "preparing"), 1e-9);
        assertEquals(2.5, m.value("mediaorch_job_status_seconds_sum", "engine", e, "status", "fetching_metadata"), 1e-9);
        assertEquals(6.0, m.value("mediaorch_job_status_seconds_sum", "engine", e, "status", "running"), 1e-9);
        assertEquals(4, m.value("mediaorch_job_status_seconds_count", "engine", e));
    }

    @Test
    void anOlderViewOfAJobChangesNothing() {
        Job j = job("job_b", 0);
        metrics.jobCreated(j);
        j = move(j, "running", 5_000);
        metrics.jobChanged(j);
        Job stale = job("job_b", 0);
        stale = move(stale, "preparing", 4_000);
        metrics.jobChanged(stale);
        j = move(j, "failed", 9_000);
        metrics.jobChanged(j);
        PrometheusText m = scrape();
        assertEquals(1, m.value("mediaorch_jobs_failed_total", "engine", "media-downloader"));
        assertEquals(0, m.find("mediaorch_job_status_seconds_count", "status", "preparing").size());
        assertEquals(4.0, m.value("mediaorch_job_status_seconds_sum", "status", "running"), 1e-9);
    }

    @Test
    void jobsReadBackFromTheBucketAreNotCountedAgain() {
        Job ended = job("job_c", 0);
        ended = move(ended, "completed", 3_000);
        metrics.jobLoaded(ended);
        ended = at(ended, 4_000);
        metrics.jobChanged(ended);

        Job running = job("job_d", 0);
        running = move(running, "running", 2_000);
        metrics.jobLoaded(running);
        running = move(running, "canceled", 7_000);
        metrics.jobChanged(running);

        Job unknown = job("job_e", 0); // changed without being created or loaded here: taken as it is
        unknown = move(unknown, "failed", 1_000);
        metrics.jobChanged(unknown);

        PrometheusText m = scrape();
        assertEquals(0, m.value("mediaorch_jobs_submitted_total"));
        assertEquals(0, m.value("mediaorch_jobs_completed_total"));
        assertEquals(0, m.value("mediaorch_jobs_failed_total"));
        assertEquals(1, m.value("mediaorch_jobs_canceled_total", "engine", "media-downloader"));
        assertEquals(7.0, m.value("mediaorch_job_duration_seconds_sum", "status", "canceled"), 1e-9);
    }

    /**
     * #31: the summary line of a completed job gives its outputs' sizes. The completion check has just
     * read them from the bucket into the record's provenance: no HEAD per output on the way to the
     * terminal callback. A job whose record lacks a size (completed another way) still asks the bucket.
     */
    @Test
    void theSummaryTakesOutputSizesFromTheRecord() {
        List<String> asked = new CopyOnWriteArrayList<>();
        metrics.objectSizes(key -> {
            asked.add(key);
            return Optional.of(7L);
        });
        Job j = job("job_sizes", 0);
        metrics.jobCreated(j);
        Job.Draft d = move(j, "completed", 2_000).draft();
        d.provenance.put("video", Map.of("size", 100L, "sha256", "aa"));
        d.provenance.put("audio", Map.of("size", 20L));
        d.provenance.put("metadata", Map.of("size", 3L));
        metrics.jobChanged(d.build());
        assertEquals(List.of(), asked, "no bucket read for sizes the record gives");

        Job k = job("job_no_sizes", 0);
        metrics.jobCreated(k);
        metrics.jobChanged(move(k, "completed", 2_000));
        assertEquals(3, asked.size(), "one HEAD per output without a size: " + asked);
    }

    @Test
    void bytesAreCountedAsTheyAreRead() throws Exception {
        try (InputStream in = metrics.served("outputs/by-media/m1/job_x/video.mp4", new ByteArrayInputStream(new byte[1000]))) {
            in.read(new byte[300]);
            in.read();
        }
        try (InputStream in = metrics.mirrored("inputs/subtitles/m1.vtt", new ByteArrayInputStream(new byte[77]))) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        PrometheusText m = scrape();
        assertEquals(301, m.value("mediaorch_served_bytes_total", "endpoint", "artifacts", "kind", "video"));
        assertEquals(77, m.value("mediaorch_mirrored_bytes_total", "kind", "subtitles"));
    }

    @Test
    void keysNameTheirKind() {
        assertEquals("video", Metrics.kindOf("inputs/videos/m1.mp4"));
        assertEquals("subtitles", Metrics.kindOf("inputs/subtitles/m1.vtt"));
        assertEquals("comments", Metrics.kindOf("inputs/comments/m1.json"));
        assertEquals("audio", Metrics.kindOf("downloads/m1/job_x/audio.mp3"));
        assertEquals("metadata", Metrics.kindOf("downloads/m1/job_x/metadata.json"));
        assertEquals("video", Metrics.kindOf("outputs/by-media/m1/job_x/video.mp4"));
        assertEquals("other", Metrics.kindOf("state/jobs/job_x.json"));
    }

    @Test
    void noneRecordsNothing() {
        InputStream in = new ByteArrayInputStream(new byte[1]);
        assertSame(in, Metrics.NONE.served("inputs/videos/m.mp4", in));
        Metrics.NONE.jobCreated(job("job_f", 0));
        assertEquals("", Metrics.NONE.scrape());
    }
}
