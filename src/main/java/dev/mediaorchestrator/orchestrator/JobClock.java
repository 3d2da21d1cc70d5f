package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Ticker;

import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The times a job record keeps (when it was created, when its dispatch first failed, when to try
 * its dispatch or its callback again) are wall-clock times: they must mean the same after a restart
 * and on another replica. Measured against the wall clock alone, a jump of that clock (an NTP step,
 * a VM resumed, {@code date -s}) moved every deadline at once: a forward jump of
 * {@code JOB_TIMEOUT_SECONDS} failed every job in flight, a backward one held every backoff for as
 * long as the jump.
 *
 * <p>So a stored time is read against the wall clock once, when this process first uses it, and
 * measured from then on on the {@link Ticker} (monotonic, in-process): a jump after that moment
 * changes nothing. A stored time first met after a jump (a restart on a machine whose clock jumped)
 * is read as it is, with two guards: an elapsed time is never negative, and a time to wait for is
 * never further away than the longest wait the service ever sets ({@code maxAheadMs}), so a clock
 * that went back cannot hold a job for longer than that.
 */
final class JobClock {
    private final Clock wall;
    private final Ticker ticker;
    /** Per key: the stored time, and where it is on the ticker (its start, or when it is due), in ms. */
    private final Map<String, long[]> seen = new ConcurrentHashMap<>();

    JobClock(Clock wall, Ticker ticker) {
        this.wall = wall;
        this.ticker = ticker;
    }

    /** Milliseconds since the stored time {@code wallStart} of {@code jobId}'s {@code what}; never negative. */
    long since(String jobId, String what, long wallStart) {
        long[] s = seen.compute(jobId + ":" + what, (k, old) -> old != null && old[0] == wallStart ? old
                : new long[]{wallStart, ticker.millis() - Math.max(0, wall.millis() - wallStart)});
        return Math.max(0, ticker.millis() - s[1]);
    }

    /**
     * Whether the stored time {@code wallDueAt} of {@code jobId}'s {@code what} has come; a time more
     * than {@code maxAheadMs} away when first seen is taken as that far (the clock went back).
     */
    boolean reached(String jobId, String what, long wallDueAt, long maxAheadMs) {
        long[] s = seen.compute(jobId + ":" + what, (k, old) -> old != null && old[0] == wallDueAt ? old
                : new long[]{wallDueAt, ticker.millis() + Math.min(maxAheadMs, wallDueAt - wall.millis())});
        return ticker.millis() >= s[1];
    }

    /** Forgets the jobs not in {@code jobIds} (done, or no longer active here). */
    void retain(Set<String> jobIds) {
        seen.keySet().removeIf(k -> !jobIds.contains(k.substring(0, k.indexOf(':'))));
    }

    /** Milliseconds on the ticker: for waits that only this process keeps. */
    long tickerMillis() {
        return ticker.millis();
    }
}
