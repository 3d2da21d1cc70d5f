package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.common.JobContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The one line a job leaves when it ends: in the orchestrator (its status, duration, the time it
 * spent in each status, the size of its outputs) and in the runner that ran it (the time of each
 * phase, bytes downloaded and uploaded). Logger {@value #LOGGER}; the values are also key-value
 * pairs of the event, so the JSON log format has them as fields.
 */
final class JobSummaries {
    static final String LOGGER = "dev.mediaorchestrator.JobSummary";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final int MAX_ERROR = 300;

    void orchestrator(String jobId, String engine, String status, long durationMs, int attempts,
                      Map<String, Long> statusMs, Map<String, Long> outputBytes, String error) {
        long total = outputBytes.values().stream().mapToLong(Long::longValue).sum();
        log(jobId, LOG.atInfo()
                .addKeyValue("event", "job_end")
                .addKeyValue("engine", engine)
                .addKeyValue("status", status)
                .addKeyValue("durationMs", durationMs)
                .addKeyValue("attempts", attempts)
                .addKeyValue("statusMs", statusMs)
                .addKeyValue("outputBytes", total)
                .addKeyValue("error", oneLine(error)),
                "job " + jobId + " ended: engine=" + engine + " status=" + status + " duration=" + seconds(durationMs)
                        + " attempts=" + attempts + " phases=" + times(statusMs) + " outputBytes=" + total
                        + (outputBytes.isEmpty() ? "" : " (" + joined(outputBytes) + ")") + errorText(error));
    }

    void runner(String jobId, String engine, String status, long durationMs, Map<String, Long> phaseMs,
                long downloaded, long uploaded, String error) {
        log(jobId, LOG.atInfo()
                .addKeyValue("event", "runner_job_end")
                .addKeyValue("engine", engine)
                .addKeyValue("status", status)
                .addKeyValue("durationMs", durationMs)
                .addKeyValue("phaseMs", phaseMs)
                .addKeyValue("downloadedBytes", downloaded)
                .addKeyValue("uploadedBytes", uploaded)
                .addKeyValue("error", oneLine(error)),
                "runner job " + jobId + " ended: engine=" + engine + " status=" + status + " duration=" + seconds(durationMs)
                        + " phases=" + times(phaseMs) + " downloadedBytes=" + downloaded + " uploadedBytes=" + uploaded
                        + errorText(error));
    }

    private static void log(String jobId, LoggingEventBuilder event, String message) {
        String previous = JobContext.current();
        JobContext.set(jobId);
        try {
            event.log(message);
        } finally {
            JobContext.set(previous);
        }
    }

    static String seconds(long ms) {
        return String.format(Locale.ROOT, "%.3fs", ms / 1000.0);
    }

    private static String times(Map<String, Long> ms) {
        if (ms.isEmpty()) {
            return "-";
        }
        StringJoiner j = new StringJoiner(",");
        ms.forEach((k, v) -> j.add(k + ":" + seconds(v)));
        return j.toString();
    }

    private static String joined(Map<String, Long> values) {
        StringJoiner j = new StringJoiner(",");
        values.forEach((k, v) -> j.add(k + ":" + v));
        return j.toString();
    }

    private static String errorText(String error) {
        return error == null || error.isBlank() ? "" : " error=\"" + oneLine(error) + "\"";
    }

    /** Errors may be a tool's last lines of stderr: one line, bounded. */
    static String oneLine(String error) {
        if (error == null) {
            return null;
        }
        String s = error.strip().replaceAll("\\s*[\\r\\n]+\\s*", " | ");
        return s.length() > MAX_ERROR ? s.substring(0, MAX_ERROR) + "…" : s;
    }
}
