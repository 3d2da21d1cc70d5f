package dev.mediaorchestrator.orchestrator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The terminal callback as a stored event: its {@code nonce} and {@code event} (the body's
 * stable fields) are fixed in the job's terminal transition, before any attempt, so a crash at
 * any point leads to the same event being retried; {@code ts} and presigned URLs are made fresh
 * for each attempt. {@code leaseOwner}/{@code leaseUntil}: the orchestrator sending it now.
 * A job's {@link Job#callback}; stored as part of its record ({@link JobRecord}).
 */
public record TerminalCallback(String nonce, Map<String, Object> event, boolean delivered, boolean abandoned, int attempts,
                               String lastError, long nextAttemptAt, String leaseOwner, long leaseUntil,
                               int lastStatus, List<Map<String, Object>> log) {
    public static final TerminalCallback NONE = new TerminalCallback(null, null, false, false, 0, null, 0, null, 0, 0, List.of());
    /** The delivery log keeps the last this many attempts. */
    public static final int MAX_LOG = 50;

    public TerminalCallback {
        log = log == null ? List.of() : List.copyOf(log);
    }

    public TerminalCallback withEvent(String newNonce, Map<String, Object> newEvent, long dueAt) {
        return new TerminalCallback(newNonce, newEvent, false, false, 0, null, dueAt, null, 0, 0, List.of());
    }

    public TerminalCallback leased(String owner, long until) {
        return new TerminalCallback(nonce, event, delivered, abandoned, attempts, lastError, nextAttemptAt, owner, until, lastStatus, log);
    }

    /**
     * One attempt done: {@code ok} (a 2xx), else {@code error}; {@code nextAt} is when to try again
     * (0 with {@code giveUp}: never). A delivered callback stays delivered (a redelivery that fails
     * does not undo it). {@code entry} goes into the log.
     */
    public TerminalCallback attempted(boolean ok, int status, String error, long nextAt, boolean giveUp, Map<String, Object> entry) {
        List<Map<String, Object>> l = new ArrayList<>(log);
        l.add(entry);
        while (l.size() > MAX_LOG) {
            l.remove(0);
        }
        boolean done = delivered || ok;
        return new TerminalCallback(nonce, event, done, !done && giveUp, attempts + 1, ok ? null : error,
                done || giveUp ? 0 : nextAt, null, 0, status, l);
    }
}
