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
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
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
