package dev.mediaorchestrator.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** Polls a condition until it holds or a deadline passes (the deadline is generous: it bounds a hang, it times nothing). */
public final class Wait {
    private Wait() {
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        if (!atMost(timeout, condition)) {
            throw new AssertionError((Thread.currentThread().isInterrupted() ? "interrupted" : "timed out") + " waiting for: " + what);
        }
    }

    /**
     * Waits for the condition at most {@code timeout} and says whether it held, without failing:
     * for stand-ins that wait for the service before their next step, and for waits whose outcome
     * the test's own assertions then describe.
     */
    public static boolean atMost(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Waits for {@code dir} to be empty, e.g. a runner's work dir once its jobs have cleaned up. */
    public static void untilEmpty(String what, Path dir, Duration timeout) {
        until(what, timeout, () -> {
            try (Stream<Path> files = Files.list(dir)) {
                return files.findAny().isEmpty();
            } catch (IOException e) {
                return false;
            }
        });
    }
}
