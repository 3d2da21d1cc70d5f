package dev.mediaorchestrator.common;

import java.time.Clock;

/**
 * Time within one process: {@link System#nanoTime()}, which no change of the wall clock moves (NTP
 * steps, a VM resumed, an operator's {@code date -s}). Deadlines and backoffs that only this
 * process keeps are measured on it; the wall clock ({@link Clock}) is for times that are
 * stored and must mean the same after a restart or on another replica. Injectable: tests move it
 * by hand.
 */
@FunctionalInterface
public interface Ticker {
    Ticker SYSTEM = System::nanoTime;

    /** Nanoseconds from an arbitrary origin; only differences mean anything. */
    long nanos();

    /** {@link #nanos()} in milliseconds. */
    default long millis() {
        return nanos() / 1_000_000;
    }
}
