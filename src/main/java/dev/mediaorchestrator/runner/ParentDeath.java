package dev.mediaorchestrator.runner;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tools die with the JVM: a command is run through util-linux {@code setpriv --pdeathsig KILL}, so
 * the kernel sends the tool SIGKILL when the thread that started it ends (also on kill -9 of the
 * JVM). The thread that starts a tool is the job's thread, which lives until the job's
 * clean-up has stopped the tool. Grandchildren the tool forks itself are not covered (pdeathsig is
 * not inherited); the work-dir sweep at the next start catches those ({@link WorkDirSweeper}).
 * Without {@code setpriv} (not Linux, or a minimal image) the command runs as it is.
 */
public final class ParentDeath {
    private static final Path SETPRIV = Path.of(System.getProperty("mediaorch.setpriv", "/usr/bin/setpriv"));
    private static final boolean AVAILABLE = Files.isExecutable(SETPRIV);

    private ParentDeath() {
    }

    /**
     * A runner that is PID 1 (a container started without an init) is where the tools' orphans go,
     * and the JVM never reaps them: each killed tool's exited children (a canceled yt-dlp's ffmpeg)
     * stay zombies for the life of the container. The images run java under tini; anything else
     * that makes the runner PID 1 is told so, once, at start. Returns the warning, or null.
     */
    public static String pid1Warning(long pid) {
        return pid != 1 ? null : "this runner is PID 1 without an init: the exited children of the tools it stops stay"
                + " zombies (run it under tini, docker run --init, or the images' ENTRYPOINT)";
    }

    /** {@code command} (executable first) prefixed so that it is killed when its parent dies. */
    public static List<String> guarded(List<String> command) {
        if (!AVAILABLE) {
            return command;
        }
        List<String> out = new ArrayList<>(command.size() + 4);
        out.add(SETPRIV.toString());
        out.add("--pdeathsig");
        out.add("KILL");
        out.add("--");
        out.addAll(command);
        return out;
    }

    /**
     * Whether {@code executable} names an executable file (a path, or a name found on {@code PATH}):
     * through {@code setpriv} a missing tool would start and then fail with exit code 127, so the
     * caller checks first to keep the error "not found".
     */
    public static boolean resolvable(String executable) {
        return which(executable).isPresent();
    }

    /** The executable file {@code executable} names: itself when it is a path, else the first one on {@code PATH}. */
    public static Optional<Path> which(String executable) {
        if (executable.contains("/")) {
            return Optional.of(Path.of(executable)).filter(Files::isExecutable);
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, executable))) {
                return Optional.of(Path.of(dir, executable));
            }
        }
        return Optional.empty();
    }

    /** Whether commands are guarded on this machine. */
    public static boolean available() {
        return AVAILABLE;
    }
}
