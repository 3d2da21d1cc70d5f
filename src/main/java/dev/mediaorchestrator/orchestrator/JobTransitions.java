package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.downloader.MetadataMapper;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The rules of a job's state (CONTRACT.md): status and progress only move forward, a terminal job
 * never changes again, and a runner's word alone does not complete a job (its outputs must be in
 * the bucket). Each rule works on a {@link Job.Draft} of a fresh read, inside a transition that
 * {@link JobStore#transition} writes conditionally. A transition that makes a job terminal also
 * stores its terminal callback as an event ({@link TerminalCallback}): nonce and body are fixed before
 * any attempt.
 */
public final class JobTransitions {
    private JobTransitions() {
    }

    public enum Outcome { APPLIED, IGNORED, AWAITING_OUTPUTS, FAILED }

    public static int rank(String status) {
        return switch (status) {
            case "queued" -> 0;
            case "preparing", "fetching_metadata" -> 1;
            case "running" -> 2;
            case "uploading" -> 3;
            case "completed", "failed", "canceled" -> 4;
            default -> -1;
        };
    }

    public static boolean isKnownStatus(String status) {
        return status != null && rank(status) >= 0;
    }

    /** Applies a runner callback; {@code runnerUrl}: the address it reported, already checked ({@link RunnerAddress}), or null. */
    @SuppressWarnings("unchecked")
    public static Outcome apply(Job.Draft job, Map<String, Object> cb, String runnerUrl, long now) {
        if (job.isTerminal()) {
            return Outcome.IGNORED;
        }
        String status = (String) cb.get("status");
        String phase = cb.get("phase") instanceof String p ? p : status;
        double progress = cb.get("progress") instanceof Number n ? clamp(n.doubleValue()) : job.progress;
        taken(job, false, runnerUrl, now);
        job.lastReportAt = now;
        job.probeMisses = 0;
        if ("failed".equals(status) || "canceled".equals(status)) {
            Object error = cb.get("error");
            terminate(job, status, error instanceof String e && !e.isBlank() ? e : "runner reported " + status, now);
            return Outcome.FAILED;
        }
        if (cb.get("metadata") instanceof Map<?, ?> m) {
            job.metadata = MetadataMapper.capped((Map<String, Object>) m);
        }
        recordProvenance(job, cb);
        if (Boolean.TRUE.equals(cb.get("provenance"))) {
            job.reportsProvenance = true;
        }
        if ("completed".equals(status)) {
            runnerSaidCompleted(job, now);
            job.progress = Math.max(job.progress, Math.min(progress, 0.99));
            return Outcome.AWAITING_OUTPUTS;
        }
        int current = rank(job.status);
        int next = rank(status);
        if (next < current || (next == current && progress < job.progress)) {
            job.progress = Math.max(job.progress, progress);
            return Outcome.IGNORED;
        }
        job.status = status;
        job.phase = phase;
        job.progress = Math.max(job.progress, progress);
        return Outcome.APPLIED;
    }

    /**
     * A runner has the job, as the answer to its dispatch ({@code answer}) or a callback says,
     * whichever of them comes first: a run begins, counted once ({@code runs}, and {@code attempts}
     * for the answer or a callback that comes while the dispatch is out, which is that attempt's).
     * The runner's address is kept when none is known for this run. Returns true when a run began.
     */
    public static boolean taken(Job.Draft job, boolean answer, String runnerUrl, long now) {
        boolean begins = !job.dispatched;
        if (begins) {
            if (answer || job.dispatchClaim != null) {
                job.attempts++;
            }
            job.runs++;
            job.lastDispatchAt = now;
            job.dispatchClaim = null;
            job.dispatched = true;
        }
        job.dispatchError = null;
        if (job.runnerUrl == null && runnerUrl != null) {
            job.runnerUrl = runnerUrl;
        }
        return begins;
    }

    /** The runner says {@code completed} (callback or probe): the outputs are due, and the grace for them starts now. */
    public static void runnerSaidCompleted(Job.Draft job, long now) {
        if (!job.runnerCompleted) {
            job.runnerCompletedAt = now;
        }
        job.runnerCompleted = true;
    }

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern KIND = Pattern.compile("[a-z]{1,16}(\\.[A-Za-z0-9-]{1,35})?");

    /**
     * What a runner says of its outputs ({@code outputs.{kind}.size/contentType/sha256}) and its
     * {@code tools}, kept (checked, bounded) for the document and the terminal callback.
     */
    static void recordProvenance(Job.Draft job, Map<String, Object> cb) {
        if (cb.get("outputs") instanceof Map<?, ?> outputs) {
            if (job.provenance == null) {
                job.provenance = new LinkedHashMap<>();
            }
            for (Map.Entry<?, ?> e : outputs.entrySet()) {
                if (!(e.getKey() instanceof String kind) || !KIND.matcher(kind).matches() || !(e.getValue() instanceof Map<?, ?> info)
                        || job.provenance.size() >= 64 && !job.provenance.containsKey(kind)) {
                    continue;
                }
                Map<String, Object> p = new LinkedHashMap<>();
                if (info.get("size") instanceof Number n && n.longValue() >= 0) {
                    p.put("size", n.longValue());
                }
                if (info.get("contentType") instanceof String ct && ct.length() <= 100 && !ct.isBlank()) {
                    p.put("contentType", ct);
                }
                if (info.get("sha256") instanceof String sha && SHA256.matcher(sha).matches()) {
                    p.put("sha256", sha);
                }
                if (!p.isEmpty()) {
                    job.provenance.put(kind, p);
                }
            }
        }
        if (cb.get("tools") instanceof Map<?, ?> tools) {
            Map<String, String> t = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : tools.entrySet()) {
                if (e.getKey() instanceof String name && e.getValue() instanceof String v && name.length() <= 32 && v.length() <= 100 && t.size() < 16) {
                    t.put(name, v);
                }
            }
            job.tools = t;
        }
    }

    /**
     * A probe found the runner working on the job ({@code running}, {@code uploading}, ...): the
     * job stays alive, a status further on and a higher progress are taken (below 1: only the
     * outputs in the bucket complete a job), and the runner is known to serve {@code /status}.
     * Returns true when the record changed.
     */
    public static boolean probedAlive(Job.Draft job, String status, Double progress, long now) {
        job.lastProbeAt = now;
        boolean changed = job.probeMisses != 0 || !job.runnerServesStatus;
        job.probeMisses = 0;
        job.runnerServesStatus = true;
        if (job.isTerminal()) {
            return false;
        }
        if (isKnownStatus(status) && rank(status) > rank(job.status) && rank(status) < rank("completed")) {
            job.status = status;
            job.phase = status;
            changed = true;
        }
        double capped = progress == null ? 0 : Math.min(clamp(progress), 0.99);
        if (capped > job.progress) {
            job.progress = capped;
            changed = true;
        }
        return changed;
    }

    /** The outputs are all in the bucket. */
    public static boolean complete(Job.Draft job, long now) {
        if (job.isTerminal()) {
            return false;
        }
        job.status = "completed";
        job.phase = "completed";
        job.progress = 1.0;
        job.error = null;
        job.durationMs = now - job.createdAt;
        if (job.segments != null) {
            job.segments = job.segments.outputUp(); // a split burn's output is its join's: the join is done
        }
        job.callback = job.callback.withEvent(UUID.randomUUID().toString(), event(job), now);
        return true;
    }

    /**
     * A runner lost the job: it waits for a runner again, at the head of its queue (its place is
     * its creation time). Status and progress stay (they only move forward); the dispatch state and
     * what was known of the run's runner are reset and {@code why} is the document's
     * {@code dispatch.lastError}.
     */
    public static void requeue(Job.Draft job, String why, long now) {
        job.dispatched = false;
        job.dispatchClaim = null;
        job.dispatchError = why;
        job.nextDispatchAt = now;
        job.firstAttemptAt = 0;
        job.probeMisses = 0;
        job.runnerCompleted = false;
        job.runnerCompletedAt = 0;
        job.runnerUrl = null;
        job.runnerServesStatus = false;
        job.lastReportAt = now;
        job.phase = "queued";
    }

    /** Ends a job as failed or canceled; its terminal callback becomes due. */
    public static boolean terminate(Job.Draft job, String status, String error, long now) {
        if (job.isTerminal()) {
            return false;
        }
        job.status = status;
        job.phase = status;
        job.error = error;
        job.durationMs = now - job.createdAt;
        job.callback = job.callback.withEvent(UUID.randomUUID().toString(), event(job), now);
        return true;
    }

    /**
     * The stable fields of the terminal callback (CONTRACT.md, Terminal callback to the Next app):
     * everything but {@code ts}, {@code nonce} and the presigned URLs, which each attempt adds.
     */
    static Map<String, Object> event(Job.Draft job) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("jobId", job.jobId);
        p.put("mediaId", job.mediaId);
        p.put("engine", job.engine.id);
        p.put("status", job.status);
        p.put("durationMs", job.durationMs);
        p.put("attempts", job.attempts);
        p.put("runs", job.runs);
        if (job.error != null) {
            p.put("error", job.error);
        }
        if ("completed".equals(job.status)) {
            if (job.engine == Engine.DOWNLOADER) {
                Map<String, Object> outputs = new LinkedHashMap<>();
                for (Engine.OutputKind kind : job.engine.outputsFor(job.options)) {
                    outputs.put(kind.id, JobDocument.outputEntry(job.engine.outputKey(job.mediaId, job.jobId, kind), provenanceOf(job, kind.id)));
                }
                if (job.subtitles != null) {
                    outputs.put("subtitles", JobDocument.subtitleOutputs(job.engine, job.mediaId, job.jobId, job.subtitles, job.provenance));
                }
                p.put("outputs", outputs);
                if (job.metadata != null) {
                    p.put("metadata", job.metadata);
                }
            } else {
                p.put("outputKey", job.engine.outputKey(job.mediaId, job.jobId, Engine.OutputKind.VIDEO));
                p.put("outputs", Map.of("video", JobDocument.outputEntry(job.engine.outputKey(job.mediaId, job.jobId, Engine.OutputKind.VIDEO),
                        provenanceOf(job, "video"))));
            }
            if (job.tools != null) {
                p.put("tools", job.tools);
            }
        }
        return p;
    }

    private static Map<String, Object> provenanceOf(Job.Draft job, String kind) {
        return job.provenance == null ? null : job.provenance.get(kind);
    }

    private static double clamp(double v) {
        return Double.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0;
    }
}
