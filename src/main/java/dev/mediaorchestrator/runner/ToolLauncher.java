package dev.mediaorchestrator.runner;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Starts one tool of the jobs some faster way than exec (the downloader's {@code YtDlpPreload}),
 * registered with {@link JobProcessExecutor#launchWith}. The tool must behave as if exec had started
 * it: the same arguments, {@code dir} as its working directory, stdin from {@code /dev/null}, stdout
 * and stderr written to the two files, killed with the runner.
 */
public interface ToolLauncher {
    /** The started tool, or empty when this launcher cannot start it now: the executor uses exec. */
    Optional<StartedTool> start(List<String> command, Path dir, Path stdout, Path stderr);
}
