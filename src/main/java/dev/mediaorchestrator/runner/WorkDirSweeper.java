package dev.mediaorchestrator.runner;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What a runner killed with kill -9 leaves behind: its tools (ffmpeg, yt-dlp, mihomo), re-parented
 * to init and still working, and their job directories. A job directory belongs to the runner
 * process that holds an exclusive lock on its {@value #LOCK_FILE} for as long as the job runs (the
 * kernel drops the lock when that process dies, however it dies). At start a runner stops every
 * process whose working directory is in a directory whose lock nobody holds, and removes the
 * directory. Directories of live runners (another process, or another runner in this JVM) are left
 * alone.
 *
 * <p>Why a lock and not the pid written in the directory: in a container the runner is PID 1, before
 * a crash and after the restart (an emptyDir outlives the container), so the dead owner's pid is
 * the new runner's own; and any pid may be reused. A lock cannot be inherited by another process,
 * is kernel-wide across PID namespaces, and needs no clock. The lock file also holds the owner's
 * pid, for people.
 */
public final class WorkDirSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(WorkDirSweeper.class);
    static final String LOCK_FILE = "runner.lock";
    /** A directory without a lock file is taken as left over only when older than this (it may be being made). */
    private static final long UNCLAIMED_GRACE_MS = 60_000;
    /**
     * The directories this JVM owns, with their locked channels. The sweep never opens their lock
     * files: with POSIX locks, closing any descriptor of a file drops every lock the process holds
     * on it.
     */
    private static final Map<Path, FileChannel> HELD = new ConcurrentHashMap<>();

    private WorkDirSweeper() {
    }

    /** Marks a new job directory as this process's: locks its {@value #LOCK_FILE} until {@link #release}. */
    public static void claim(Path jobDir) throws IOException {
        Path key = key(jobDir);
        FileChannel channel = FileChannel.open(key.resolve(LOCK_FILE), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        HELD.put(key, channel);
        try {
            channel.lock();
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            release(jobDir);
            throw e instanceof IOException io ? io : new IOException("cannot lock " + LOCK_FILE + ": " + e, e);
        }
        if (!Files.isDirectory(key)) { // a sweep of another process took it between its creation and the lock
            release(jobDir);
            throw new IOException("the work directory was removed while it was being made");
        }
    }

    /** The job is over (its directory removed, or about to be): its lock is let go. */
    public static void release(Path jobDir) {
        FileChannel channel = HELD.remove(key(jobDir));
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing the lock of {}: {}", jobDir, e.toString());
            }
        }
    }

    private static Path key(Path dir) {
        return dir.toAbsolutePath().normalize();
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
            if (!HELD.containsKey(key(dir)) && removeIfOwnerGone(dir)) {
                removed++;
            }
        }
        return removed;
    }

    /**
     * Removes {@code dir} (stopping what still runs in it) when no process holds its lock, holding
     * the lock meanwhile. A directory without a lock file may be being made right now, or be left by
     * a runner that died before it locked (or by a version that wrote only its pid): it is removed
     * only when older than a minute.
     */
    private static boolean removeIfOwnerGone(Path dir) {
        Path lockFile = dir.resolve(LOCK_FILE);
        if (!Files.exists(lockFile)) {
            if (!olderThanGrace(dir)) {
                return false;
            }
            remove(dir);
            return true;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                return false; // held in this JVM
            }
            if (lock == null) {
                return false; // held by another process
            }
            remove(dir);
            return true;
        } catch (IOException e) {
            LOG.debug("cannot check the lock of {}: {}", dir, e.toString());
            return false;
        }
    }

    private static void remove(Path dir) {
        int killed = killProcessesIn(dir);
        RunnerJobs.deleteRecursively(dir);
        LOG.warn("removed the work dir {} of a runner that is gone{}", dir.getFileName(),
                killed > 0 ? " and stopped " + killed + " of its processes" : "");
    }

    private static boolean olderThanGrace(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toMillis() <= System.currentTimeMillis() - UNCLAIMED_GRACE_MS;
        } catch (IOException e) {
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
