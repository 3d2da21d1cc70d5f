package dev.mediaorchestrator.orchestrator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The rules of a job's state (CONTRACT.md): status and progress only move forward, a terminal job
 * never changes again, and a runner's word alone does not complete a job (its outputs must be in
 * the bucket). Each rule works on a {@link Job.Draft} of a fresh read, inside a transition that
 * {@link JobStore#transition} writes conditionally. A transition that makes a job terminal also
 * stores its terminal callback as an event ({@link Job.Callback}): nonce and body are fixed before
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

    /** Applies a runner callback. */
    @SuppressWarnings("unchecked")
    public static Outcome apply(Job.Draft job, Map<String, Object> cb, long now) {
        if (job.isTerminal()) {
            return Outcome.IGNORED;
        }
        String status = (String) cb.get("status");
        String phase = cb.get("phase") instanceof String p ? p : status;
        double progress = cb.get("progress") instanceof Number n ? clamp(n.doubleValue()) : job.progress;
        job.dispatched = true;
        job.dispatchError = null;
        job.lastReportAt = now;
        job.probeMisses = 0;
        if ("failed".equals(status) || "canceled".equals(status)) {
            Object error = cb.get("error");
            terminate(job, status, error instanceof String e && !e.isBlank() ? e : "runner reported " + status, now);
            return Outcome.FAILED;
        }
        if (cb.get("metadata") instanceof Map<?, ?> m) {
            job.metadata = new LinkedHashMap<>((Map<String, Object>) m);
        }
        if ("completed".equals(status)) {
            job.runnerCompleted = true;
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
     * A probe found the runner working on the job ({@code running}, {@code uploading}, ...): the
     * job stays alive, a status further on and a higher progress are taken (below 1: only the
     * outputs in the bucket complete a job). Returns true when the document changed.
     */
    public static boolean probedAlive(Job.Draft job, String status, Double progress, long now) {
        job.lastProbeAt = now;
        boolean changed = job.probeMisses != 0;
        job.probeMisses = 0;
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
        job.callback = job.callback.withEvent(UUID.randomUUID().toString(), event(job), now);
        return true;
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
        if (job.error != null) {
            p.put("error", job.error);
        }
        if ("completed".equals(job.status)) {
            if (job.engine == Engine.DOWNLOADER) {
                Map<String, Object> outputs = new LinkedHashMap<>();
                for (Engine.OutputKind kind : job.engine.outputs) {
                    outputs.put(kind.id, Map.of("key", job.engine.outputKey(job.mediaId, job.jobId, kind)));
                }
                p.put("outputs", outputs);
                if (job.metadata != null) {
                    p.put("metadata", job.metadata);
                }
            } else {
                p.put("outputKey", job.engine.outputKey(job.mediaId, job.jobId, Engine.OutputKind.VIDEO));
            }
        }
        return p;
    }

    private static double clamp(double v) {
        return Double.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0;
    }
}
