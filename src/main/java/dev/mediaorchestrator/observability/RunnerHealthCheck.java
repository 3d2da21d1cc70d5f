package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.runner.RunnerJobs;
import org.apache.camel.health.HealthCheckResultBuilder;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Readiness of a runner, checked by itself: its work directory can be written and the tools it runs
 * (ffmpeg, ffprobe; yt-dlp) are there. How busy it is goes in the details (a full runner is still
 * ready: it answers 429 and the orchestrator retries).
 */
public final class RunnerHealthCheck extends ReadinessCheck {
    private final RunnerJobs jobs;
    private final Path workDir;
    private final List<String> tools;

    public RunnerHealthCheck(RunnerJobs jobs, Path workDir, List<String> tools) {
        super("runner:" + jobs.engine());
        this.jobs = jobs;
        this.workDir = workDir;
        this.tools = tools;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("active", jobs.activeCount());
        builder.detail("maxConcurrency", jobs.maxConcurrency());
        List<String> problems = new ArrayList<>();
        try {
            Files.createDirectories(workDir);
            if (!Files.isWritable(workDir)) {
                problems.add("work dir " + workDir + " is not writable");
            }
        } catch (IOException e) {
            problems.add("work dir " + workDir + " cannot be created: " + HealthChecks.summary(e));
        }
        for (String tool : tools) {
            if (!onPath(tool)) {
                problems.add(tool + " not found");
            }
        }
        if (problems.isEmpty()) {
            builder.up();
        } else {
            builder.down().message(String.join("; ", problems));
        }
    }

    /** An executable given as a path, or found in {@code PATH}. */
    static boolean onPath(String tool) {
        if (tool.contains(File.separator)) {
            return Files.isExecutable(Path.of(tool));
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
