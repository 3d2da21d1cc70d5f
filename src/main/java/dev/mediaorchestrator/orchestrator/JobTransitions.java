package dev.mediaorchestrator.orchestrator;

import java.util.Map;

/**
 * The rules of a job's state (CONTRACT.md): status and progress only move forward, a terminal job
 * never changes again, and a runner's word alone does not complete a job (its outputs must be in
 * the bucket). Callers hold the job's lock.
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
    public static Outcome apply(Job job, Map<String, Object> cb, long now) {
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
            job.metadata = (Map<String, Object>) m;
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
    public static boolean probedAlive(Job job, String status, Double progress, long now) {
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
    public static boolean complete(Job job, long now) {
        if (job.isTerminal()) {
            return false;
        }
        job.status = "completed";
        job.phase = "completed";
        job.progress = 1.0;
        job.error = null;
        job.durationMs = now - job.createdAt;
        job.callback.nextAttemptAt = now;
        return true;
    }

    /** Ends a job as failed or canceled; its terminal callback becomes due. */
    public static boolean terminate(Job job, String status, String error, long now) {
        if (job.isTerminal()) {
            return false;
        }
        job.status = status;
        job.phase = status;
        job.error = error;
        job.durationMs = now - job.createdAt;
        job.callback.nextAttemptAt = now;
        return true;
    }

    private static double clamp(double v) {
        return Double.isFinite(v) ? Math.max(0, Math.min(1, v)) : 0;
    }
}
