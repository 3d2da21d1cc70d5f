package dev.mediaorchestrator.orchestrator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Job} as the map of its record in the bucket ({@code state/jobs/{jobId}.json}) and back;
 * {@link StateCodec} seals the options and writes the JSON. Every field a record has ever had is
 * read here, with what a record written before it existed means.
 */
public final class JobRecord {
    private JobRecord() {
    }

    /**
     * Everything about the job for its record in the bucket ({@code state/jobs/{jobId}.json}),
     * except the options, which the caller stores encrypted.
     */
    public static Map<String, Object> toState(Job job) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobId", job.jobId);
        m.put("mediaId", job.mediaId);
        m.put("engine", job.engine.id);
        m.put("createdAt", job.createdAt);
        m.put("dispatchNonce", job.dispatchNonce);
        m.put("owner", job.owner);
        m.put("status", job.status);
        m.put("phase", job.phase);
        m.put("progress", job.progress);
        m.put("metadata", job.metadata);
        m.put("error", job.error);
        m.put("ts", job.ts);
        m.put("durationMs", job.durationMs);
        m.put("attempts", job.attempts);
        m.put("dispatched", job.dispatched);
        m.put("dispatchError", job.dispatchError);
        m.put("lastDispatchAt", job.lastDispatchAt);
        m.put("nextDispatchAt", job.nextDispatchAt);
        m.put("dispatchClaim", job.dispatchClaim);
        m.put("runnerCompleted", job.runnerCompleted);
        m.put("runnerCompletedAt", job.runnerCompletedAt);
        m.put("runnerUrl", job.runnerUrl);
        m.put("runnerServesStatus", job.runnerServesStatus);
        m.put("lastReportAt", job.lastReportAt);
        m.put("lastProbeAt", job.lastProbeAt);
        m.put("probeMisses", job.probeMisses);
        m.put("firstAttemptAt", job.firstAttemptAt);
        m.put("callback", toState(job.callback));
        m.put("subtitles", job.subtitles);
        m.put("provenance", job.provenance);
        m.put("tools", job.tools);
        m.put("reportsProvenance", job.reportsProvenance);
        m.put("runs", job.runs);
        m.put("traceparent", job.traceparent);
        m.put("timeline", job.timeline);
        if (job.segments != null) {
            m.put("segments", job.segments.toState());
        }
        return m;
    }

    /** A job from its record ({@link #toState(Job)}), the decrypted {@code options} and the record's version. */
    @SuppressWarnings("unchecked")
    public static Job fromState(Map<String, Object> m, Map<String, Object> options, String version) {
        Engine engine = Engine.of((String) m.get("engine")).orElseThrow(() -> new IllegalArgumentException("unknown engine in state"));
        Job.Draft d = new Job.Draft((String) m.get("jobId"), (String) m.get("mediaId"), engine, options,
                num(m.get("createdAt")), (String) m.get("dispatchNonce"));
        d.owner = m.get("owner") instanceof String o && Shares.isMemberId(o) ? o : null;
        d.status = (String) m.get("status");
        d.phase = (String) m.get("phase");
        d.progress = m.get("progress") instanceof Number n ? n.doubleValue() : 0;
        d.metadata = m.get("metadata") instanceof Map<?, ?> md ? (Map<String, Object>) md : null;
        d.error = (String) m.get("error");
        d.ts = num(m.get("ts"));
        d.durationMs = m.get("durationMs") == null ? null : num(m.get("durationMs"));
        d.attempts = (int) num(m.get("attempts"));
        d.dispatched = Boolean.TRUE.equals(m.get("dispatched"));
        d.dispatchError = (String) m.get("dispatchError");
        d.lastDispatchAt = m.get("lastDispatchAt") == null ? null : num(m.get("lastDispatchAt"));
        d.nextDispatchAt = num(m.get("nextDispatchAt"));
        d.dispatchClaim = (String) m.get("dispatchClaim");
        d.runnerCompleted = Boolean.TRUE.equals(m.get("runnerCompleted"));
        d.runnerCompletedAt = num(m.get("runnerCompletedAt"));
        d.runnerUrl = m.get("runnerUrl") instanceof String u ? u : null;
        d.runnerServesStatus = Boolean.TRUE.equals(m.get("runnerServesStatus"));
        d.lastReportAt = num(m.get("lastReportAt"));
        d.lastProbeAt = num(m.get("lastProbeAt"));
        d.probeMisses = (int) num(m.get("probeMisses"));
        d.firstAttemptAt = num(m.get("firstAttemptAt"));
        d.callback = m.get("callback") instanceof Map<?, ?> cb ? callbackFromState((Map<String, Object>) cb) : TerminalCallback.NONE;
        d.subtitles = m.get("subtitles") instanceof List<?> l ? l.stream().map(String::valueOf).toList() : null;
        if (m.get("provenance") instanceof Map<?, ?> p) {
            d.provenance = new LinkedHashMap<>();
            p.forEach((k, v) -> {
                if (v instanceof Map<?, ?> entry) {
                    d.provenance.put(String.valueOf(k), (Map<String, Object>) entry);
                }
            });
        }
        d.reportsProvenance = Boolean.TRUE.equals(m.get("reportsProvenance"));
        d.runs = (int) num(m.get("runs"));
        d.traceparent = m.get("traceparent") instanceof String t ? t : null;
        if (m.get("timeline") instanceof List<?> t) {
            d.timeline = new ArrayList<>();
            for (Object e : t) {
                if (e instanceof Map<?, ?> entry) {
                    d.timeline.add((Map<String, Object>) entry);
                }
            }
        }
        d.segments = SegmentedBurn.fromState(m.get("segments"));
        if (m.get("tools") instanceof Map<?, ?> t) {
            d.tools = new LinkedHashMap<>();
            t.forEach((k, v) -> d.tools.put(String.valueOf(k), String.valueOf(v)));
        }
        d.version = version;
        return d.build();
    }

    /** A number of a record, 0 when it is missing (a record written before the field existed). */
    static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    /** The callback's part of the record. */
    static Map<String, Object> toState(TerminalCallback callback) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nonce", callback.nonce());
        m.put("event", callback.event());
        m.put("delivered", callback.delivered());
        m.put("abandoned", callback.abandoned());
        m.put("attempts", callback.attempts());
        m.put("lastError", callback.lastError());
        m.put("nextAttemptAt", callback.nextAttemptAt());
        m.put("leaseOwner", callback.leaseOwner());
        m.put("leaseUntil", callback.leaseUntil());
        m.put("lastStatus", callback.lastStatus());
        m.put("log", callback.log());
        return m;
    }

    @SuppressWarnings("unchecked")
    static TerminalCallback callbackFromState(Map<String, Object> m) {
        List<Map<String, Object>> log = new ArrayList<>();
        if (m.get("log") instanceof List<?> l) {
            l.forEach(e -> {
                if (e instanceof Map<?, ?> entry) {
                    log.add((Map<String, Object>) entry);
                }
            });
        }
        return new TerminalCallback((String) m.get("nonce"), m.get("event") instanceof Map<?, ?> e ? (Map<String, Object>) e : null,
                Boolean.TRUE.equals(m.get("delivered")), Boolean.TRUE.equals(m.get("abandoned")), (int) num(m.get("attempts")),
                (String) m.get("lastError"), num(m.get("nextAttemptAt")), (String) m.get("leaseOwner"), num(m.get("leaseUntil")),
                (int) num(m.get("lastStatus")), log);
    }
}
