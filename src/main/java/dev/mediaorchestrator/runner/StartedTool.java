package dev.mediaorchestrator.runner;

import java.util.concurrent.TimeUnit;

/**
 * A job's tool while it runs, however it was started: a {@link Process} of this JVM, or a process
 * forked by a {@link ToolLauncher}. {@link JobProcessExecutor} waits for it, or kills it.
 */
public interface StartedTool {
    /** SIGKILL to its descendants (a merge's ffmpeg under yt-dlp), then to it, if it still runs. */
    void kill();

    /** Whether it has ended within the time (0 or less: waits until it has). */
    boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException;

    /** Its exit value once it has ended: 128 + the signal for a killed one, as {@link Process} reports it. */
    int exitValue();

    static StartedTool of(Process process) {
        return new StartedTool() {
            @Override
            public void kill() {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }

            @Override
            public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
                if (timeout <= 0) {
                    process.waitFor();
                    return true;
                }
                return process.waitFor(timeout, unit);
            }

            @Override
            public int exitValue() {
                return process.exitValue();
            }
        };
    }
}
