package dev.mediaorchestrator.runner;

import org.apache.camel.Exchange;
import org.apache.camel.component.exec.ExecBinding;
import org.apache.camel.component.exec.ExecCommand;
import org.apache.camel.component.exec.ExecCommandExecutor;
import org.apache.camel.component.exec.ExecException;
import org.apache.camel.component.exec.ExecResult;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The camel-exec command executor of the runners. Unlike the default one, it sends the process's
 * stdout and stderr to files in the working directory ({@code <tool>.stdout}, {@code <tool>.stderr})
 * as they are written, so that progress can be read while the tool runs; the result carries the
 * last {@value #TAIL_BYTES} bytes of each. Running processes are registered by working directory,
 * so a job's processes can be stopped (timeout, cancel), always with their child processes. A
 * tool with a {@link ToolLauncher} ({@link #launchWith}) is started by it when it can.
 */
public final class JobProcessExecutor implements ExecCommandExecutor {
    public static final int TAIL_BYTES = 64 * 1024;

    private final Map<String, StartedTool> running = new ConcurrentHashMap<>();
    private final Map<String, ToolLauncher> launchers = new ConcurrentHashMap<>();
    /** Work dirs whose job was stopped: no tool starts there again (see {@link #stop}). */
    private final Set<String> stopped = ConcurrentHashMap.newKeySet();

    /** {@code executable} (as the routes name it) is started by {@code launcher} when it can, else with exec. */
    public void launchWith(String executable, ToolLauncher launcher) {
        launchers.put(executable, launcher);
    }

    @Override
    public ExecResult execute(ExecCommand command) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(command.getExecutable());
        cmd.addAll(command.getArgs());
        File dir = new File(command.getWorkingDir() == null ? "." : command.getWorkingDir());
        String tool = Path.of(command.getExecutable()).getFileName().toString();
        Path out = stdoutFile(dir.toPath(), command.getExecutable());
        Path err = dir.toPath().resolve(tool + ".stderr");
        String key = dir.getAbsolutePath();
        if (stopped.contains(key)) {
            throw new ExecException(tool + " not started: its job was stopped", null, null, -1);
        }
        StartedTool p;
        try {
            if (!ParentDeath.resolvable(command.getExecutable())) {
                throw new IOException("not found");
            }
            p = start(cmd, dir, out, err);
        } catch (IOException e) {
            throw new ExecException(tool + " could not be started (" + command.getExecutable() + " not found or not executable)",
                    null, null, -1, e);
        }
        running.put(key, p);
        if (stopped.contains(key)) {
            kill(p); // stopped while it started: stop() found nothing to kill yet
        }
        try {
            long timeout = command.getTimeout();
            if (!p.waitFor(timeout, TimeUnit.MILLISECONDS)) {
                kill(p);
                throw new ExecException(tool + " timed out after " + timeout / 1000 + " s", null, null, -1);
            }
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new ExecException(tool + " interrupted", null, null, -1, e);
        } finally {
            running.remove(key, p);
        }
        return new ExecResult(command, new ByteArrayInputStream(tail(out)), new ByteArrayInputStream(tail(err)), p.exitValue());
    }

    /** Sets the exchange up for the next {@code exec:} endpoint: {@code command} (executable first) run in {@code workDir}. */
    public static void setCommand(Exchange exchange, Path workDir, List<String> command) {
        exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_EXECUTABLE, command.get(0));
        exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_ARGS, command.subList(1, command.size()));
        exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_WORKING_DIR, workDir.toString());
    }

    /** Where the stdout of {@code executable} run in {@code workDir} goes while it runs ({@code <tool>.stdout}). */
    public static Path stdoutFile(Path workDir, String executable) {
        return workDir.resolve(Path.of(executable).getFileName() + ".stdout");
    }

    /** By the executable's launcher when it has one that can, else with exec (killed with the JVM: {@link ParentDeath}). */
    private StartedTool start(List<String> cmd, File dir, Path out, Path err) throws IOException {
        ToolLauncher launcher = launchers.get(cmd.get(0));
        Optional<StartedTool> launched = launcher == null ? Optional.empty() : launcher.start(cmd, dir.toPath(), out, err);
        if (launched.isPresent()) {
            return launched.get();
        }
        return StartedTool.of(new ProcessBuilder(ParentDeath.guarded(cmd)).directory(dir)
                .redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start());
    }

    /**
     * Stops the process running in {@code workDir}, if any, with its children, and every one that
     * would start there later (a cancel that came between a job's last check and its next tool's
     * start), until {@link #release}. Returns whether one was running.
     */
    public boolean stop(Path workDir) {
        String key = workDir.toFile().getAbsolutePath();
        stopped.add(key);
        StartedTool p = running.get(key);
        if (p == null) {
            return false;
        }
        kill(p);
        return true;
    }

    /** The job of {@code workDir} has ended: its mark of {@link #stop} is dropped. */
    public void release(Path workDir) {
        stopped.remove(workDir.toFile().getAbsolutePath());
    }

    private static void kill(StartedTool p) {
        p.kill();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@value #TAIL_BYTES} bytes of a file (empty if it does not exist). */
    public static byte[] tail(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new byte[0];
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            int n = (int) Math.min(len, TAIL_BYTES);
            byte[] b = new byte[n];
            f.seek(len - n);
            f.readFully(b);
            return b;
        }
    }
}
