package dev.mediaorchestrator.runner;

import java.io.InputStream;

/**
 * What a runner tells whoever listens (the metrics of the observability package, which implements
 * this): the runner does not know who that is. {@link #NONE} listens to nothing.
 */
public interface RunnerEvents {
    RunnerEvents NONE = new RunnerEvents() {
    };

    default void runnerPhase(RunnerJob job) {
    }

    default void runnerFinished(RunnerJob job) {
    }

    default void runnerCallback(RunnerJob job, boolean ok) {
    }

    /** The bytes of an input as they are downloaded (the stream, counted). */
    default InputStream runnerDownload(String what, InputStream in) {
        return in;
    }

    /** The bytes of an output as they are uploaded. */
    default InputStream runnerUpload(String what, InputStream in) {
        return in;
    }
}
