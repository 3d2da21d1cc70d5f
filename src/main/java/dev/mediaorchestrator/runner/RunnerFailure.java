package dev.mediaorchestrator.runner;

/** A job failure whose message is the readable {@code error} of the {@code failed} callback. */
public class RunnerFailure extends RuntimeException {
    public RunnerFailure(String message) {
        super(message);
    }

    public RunnerFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
