package dev.mediaorchestrator.runner;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The versions of a runner's tools (ffmpeg, ffprobe, yt-dlp, the JavaScript runtime yt-dlp uses for
 * YouTube, mihomo), asked once at start in the background: {@code GET /healthz} and the
 * {@code mediaorch_runner_tool_info} metric report them, so an operator sees which yt-dlp a runner
 * has (sites change faster than images). A tool that is missing reports {@code "missing"}.
 */
public final class ToolVersions {
    /** A tool: its name in reports, the command that prints its version. */
    public record Tool(String name, List<String> command) {
    }

    private static final Pattern VERSION = Pattern.compile("(?i)(?:version\\s+|^v?|\\sv?)(\\d[\\w.+~-]*)");
    private final CompletableFuture<Map<String, String>> versions;

    public ToolVersions(List<Tool> tools) {
        this.versions = CompletableFuture.supplyAsync(() -> {
            Map<String, String> m = new LinkedHashMap<>();
            for (Tool t : tools) {
                m.put(t.name(), ask(t.command()));
            }
            return m;
        }, r -> {
            Thread th = new Thread(r, "tool-versions");
            th.setDaemon(true);
            th.start();
        });
    }

    /** The runner's tools for {@code engine}. */
    public static List<Tool> of(String engine, RunnerConfig rc) {
        Tool ffmpeg = new Tool("ffmpeg", List.of(rc.ffmpegBin, "-version"));
        Tool ffprobe = new Tool("ffprobe", List.of(rc.ffprobeBin, "-version"));
        if (engine.equals("burner-ffmpeg")) {
            return List.of(ffmpeg, ffprobe);
        }
        return List.of(new Tool("yt-dlp", List.of(rc.ytDlpBin, "--version")), ffmpeg,
                new Tool("deno", List.of("deno", "--version")), new Tool("mihomo", List.of(rc.mihomoBin, "-v")));
    }

    /** Runs {@code then} with the versions once they are known. */
    public void whenKnown(Consumer<Map<String, String>> then) {
        versions.thenAccept(then);
    }

    /** Tool → version ("missing" when it cannot be run, "unknown" when its answer has no version); empty until asked. */
    public Map<String, String> now() {
        return versions.getNow(Map.of());
    }

    static String ask(List<String> command) {
        Path dir = null;
        try {
            // in a directory of its own (a wrapper script may write files), its answer to a file
            // (a tool that never ends must not hold a reader), at most 10 s
            dir = Files.createTempDirectory("tool-version-");
            Path out = dir.resolve("out");
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return "unknown";
            }
            byte[] answer = Files.readAllBytes(out);
            return parse(new String(answer, 0, Math.min(answer.length, 4096), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return "missing";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        } finally {
            if (dir != null) {
                RunnerJobs.deleteRecursively(dir);
            }
        }
    }

    /** The version in the first line of a tool's answer ("ffmpeg version 5.1.6-0+deb12u1 …" → 5.1.6-0+deb12u1, "2026.08.19" → itself). */
    static String parse(String answer) {
        String first = answer.strip().lines().findFirst().orElse("");
        Matcher m = VERSION.matcher(first);
        return m.find() ? m.group(1) : "unknown";
    }
}
