package dev.mediaorchestrator.runner;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a runner killed with kill -9 leaves behind: its tools (ffmpeg, yt-dlp, mihomo), re-parented
 * to init and still working, and their job directories. Each job directory holds the pid of the
 * runner process that made it ({@value #OWNER_FILE}); at start a runner stops every process whose
 * working directory is in a directory whose owner is no longer alive, and removes the directory.
 * Directories of live runners (another process, or another runner in this JVM) are left alone.
 */
public final class WorkDirSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(WorkDirSweeper.class);
    static final String OWNER_FILE = "runner.pid";

    private WorkDirSweeper() {
    }

    /** Marks a new job directory as this process's. */
    public static void claim(Path jobDir) throws IOException {
        Files.writeString(jobDir.resolve(OWNER_FILE), ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
    }

    /** Sweeps {@code workDir}; returns how many job directories were removed. */
    public static int sweep(Path workDir) {
        if (!Files.isDirectory(workDir)) {
            return 0;
        }
        int removed = 0;
        List<Path> dirs;
        try (Stream<Path> s = Files.list(workDir)) {
            dirs = s.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", workDir, e.getMessage());
            return 0;
        }
        for (Path dir : dirs) {
            if (ownerAlive(dir)) {
                continue;
            }
            int killed = killProcessesIn(dir);
            RunnerJobs.deleteRecursively(dir);
            removed++;
            LOG.warn("removed the work dir {} of a runner that is gone{}", dir.getFileName(),
                    killed > 0 ? " and stopped " + killed + " of its processes" : "");
        }
        return removed;
    }

    private static boolean ownerAlive(Path dir) {
        Path owner = dir.resolve(OWNER_FILE);
        try {
            if (!Files.exists(owner)) {
                // being made right now by a live runner, or left by one that died before it wrote
                // the owner: only a directory older than a minute is taken as left over
                return Files.getLastModifiedTime(dir).toMillis() > System.currentTimeMillis() - 60_000;
            }
            long pid = Long.parseLong(Files.readString(owner, StandardCharsets.UTF_8).trim());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** Kills (with their children) the processes whose working directory is {@code dir} or below it (Linux /proc). */
    static int killProcessesIn(Path dir) {
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            return 0;
        }
        int[] killed = {0};
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                Path cwd = Files.readSymbolicLink(Path.of("/proc", String.valueOf(p.pid()), "cwd"));
                if (cwd.startsWith(real)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    killed[0]++;
                }
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                // gone, or not ours to see
            }
        });
        return killed[0];
    }
}
