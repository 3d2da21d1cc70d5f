package dev.mediaorchestrator.runner;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A job's error names its files relative to the job ({@code input.mp4}, not
 * {@code file:/tmp/media-orchestrator-jobs/burner-ffmpeg-job_…-123/input.mp4}): the tools print the
 * absolute paths they were given, and those say nothing to the app or its user, and tell anyone
 * who reads the job document how the runner's disk is laid out. What is left of the work dir
 * itself becomes {@code RUNNER_WORK_DIR}.
 */
final class JobPaths {
    private JobPaths() {
    }

    /** {@code text} with the job's directory (and the runner's work dir) taken out of every path in it. */
    static String relative(String text, Path jobDir, Path workDir) {
        if (text == null) {
            return null;
        }
        String out = text;
        if (jobDir != null) {
            for (String dir : forms(jobDir)) {
                out = out.replace("file:" + dir + "/", "").replace(dir + "/", "").replace("file:" + dir, ".").replace(dir, ".");
            }
        }
        if (workDir != null) {
            for (String dir : forms(workDir)) {
                out = out.replace("file:" + dir, "RUNNER_WORK_DIR").replace(dir, "RUNNER_WORK_DIR");
            }
        }
        return out;
    }

    /** The ways a tool may print {@code dir}: as given, absolute and normalized, and with symbolic links resolved. */
    private static Set<String> forms(Path dir) {
        Set<String> forms = new LinkedHashSet<>();
        Path absolute = dir.toAbsolutePath().normalize();
        try {
            forms.add(absolute.toRealPath().toString());
        } catch (IOException e) {
            // gone already: the other forms remain
        }
        forms.add(absolute.toString());
        forms.add(dir.toString());
        forms.removeIf(f -> f.isEmpty() || f.equals("/"));
        return forms;
    }
}
