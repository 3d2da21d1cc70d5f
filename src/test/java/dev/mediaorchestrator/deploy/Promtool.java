package dev.mediaorchestrator.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Prometheus' own {@code promtool} (Debian's {@code prometheus} package), which checks rule files,
 * runs their unit tests and parses PromQL exactly as Prometheus does. A missing promtool fails the
 * test with the command that installs it (./run test installs it): nothing is skipped silently.
 */
public final class Promtool {
    public static final String INSTALL = "apt-get install -y prometheus   (Debian's package ships promtool; ./run test installs it)";

    /** The exit code and the output (stdout and stderr together) of one run. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private Promtool() {
    }

    /** The promtool on PATH (or /usr/bin); fails the test when there is none. */
    public static String path() {
        List<String> dirs = new ArrayList<>(List.of(Objects.requireNonNullElse(System.getenv("PATH"), "").split(File.pathSeparator)));
        dirs.add("/usr/bin");
        for (String dir : dirs) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return fail("promtool is not installed: the alert rules and the dashboard's queries cannot be checked. Install it: " + INSTALL);
    }

    /** {@code promtool args…} run in {@code dir}. */
    public static Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(path());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("promtool", ".out");
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("promtool " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Runs promtool and asserts it succeeded, showing its output if not. */
    public static String check(Path dir, String... args) throws IOException, InterruptedException {
        Result r = run(dir, args);
        assertTrue(r.ok(), "promtool " + String.join(" ", args) + " failed (" + r.exitCode() + "):\n" + r.output());
        return r.output();
    }
}
