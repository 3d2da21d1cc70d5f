package dev.mediaorchestrator.orchestrator;

import java.io.InputStream;

/**
 * What the orchestrator tells whoever listens (the metrics of the observability package, which
 * implements this): the orchestrator does not know who that is. {@link #NONE} listens to nothing.
 */
public interface OrchestratorEvents {
    OrchestratorEvents NONE = new OrchestratorEvents() {
    };

    default void jobCreated(Job job) {
    }

    default void jobLoaded(Job job) {
    }

    default void jobChanged(Job job) {
    }

    /** A terminal callback attempt to the app; returns {@code delivered}. */
    default boolean appCallback(Job job, boolean delivered) {
        return delivered;
    }

    default void callbackDelivered(Job job, long sinceTerminalMs) {
    }

    default void runnerProbe(String engine, String result) {
    }

    /** The bucket was checked for a running job's outputs (a poll or the completion timer). */
    default void outputsChecked(Job job) {
    }

    /** A job record was read from the bucket; {@code found}: there was one. */
    default void stateRead(boolean found) {
    }

    /** A job record was written to the bucket (created or changed). */
    default void stateWritten() {
    }

    /** The bytes of a source mirrored into {@code key} (the stream, counted). */
    default InputStream mirrored(String key, InputStream in) {
        return in;
    }

    /** The bytes of an upload to {@code key} (fallback mode). */
    default InputStream uploaded(String key, InputStream in) {
        return in;
    }

    /** The bytes of {@code key} served by /artifacts or /inputs. */
    default InputStream served(String key, InputStream in) {
        return in;
    }

    /**
     * How {@code /artifacts} or {@code /inputs} gave a client the bytes of {@code key}: {@code redirect}
     * (302 to a presigned GET of the store), {@code file} (the embedded store's file, sent by the
     * kernel) or {@code relay} (read from the store and written on by this process).
     */
    default void artifactAnswered(String key, String how) {
    }

    /** {@code bytes} of {@code key} sent from the embedded store's file by /artifacts or /inputs (once sent). */
    default void servedFromFile(String key, long bytes) {
    }
}
