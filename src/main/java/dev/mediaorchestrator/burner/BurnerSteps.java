package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.runner.FileTail;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.DiskSpace;
import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.runner.Transfers;
import org.apache.camel.Exchange;
import org.apache.camel.component.exec.ExecBinding;
import org.apache.camel.component.exec.ExecResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The steps of the burner's job route ({@code burner-runner.camel.yaml}): inputs, probe, VTT→ASS,
 * one ffmpeg run (launched by camel-exec), upload, and the callbacks between them.
 */
public final class BurnerSteps {
    private static final Logger LOG = LoggerFactory.getLogger(BurnerSteps.class);
    static final String INPUT = "input.mp4";
    static final String VTT = "subtitles.vtt";
    static final String ASS = "subtitles.ass";
    static final String OUTPUT = "output.mp4";
    static final String PROGRESS = "ffmpeg.progress";

    private final RunnerJobs jobs;
    private final Transfers transfers;
    private final RunnerConfig config;
    private final FfmpegCommand ffmpeg;

    public BurnerSteps(RunnerJobs jobs, Transfers transfers, RunnerConfig config, FfmpegCommand ffmpeg) {
        this.jobs = jobs;
        this.transfers = transfers;
        this.config = config;
        this.ffmpeg = ffmpeg;
    }

    /**
     * The top-level URL fields the payload's task cannot do without: the contract's three for a
     * plain burn, fewer for a segment, join or plan ({@link BurnTask}), whose own object is checked
     * here (400 naming the field).
     */
    public List<String> requiredUrls(Map<String, Object> payload) {
        return BurnTask.of(payload).requiredUrls();
    }

    /** Work dir, {@code preparing} callback, inputs streamed to disk. */
    public void prepare(RunnerJob job) {
        subtitleConfig(job); // a bad subtitleConfig fails the job before any download
        Path dir = jobs.workDir(job);
        jobs.phase(job, "preparing", "preparing", 0.05);
        transfers.download("input video", job.string("inputVideoUrl"), dir.resolve(INPUT));
        transfers.download("subtitles", job.string("inputVttUrl"), dir.resolve(VTT));
        try {
            SubtitleText.checkSize(dir.resolve(VTT), config.maxSubtitlesBytes);
        } catch (IOException e) {
            throw new RunnerFailure("cannot read the subtitles: " + e.getMessage(), e);
        }
        LOG.info("inputs ready (job {})", job.jobId);
    }

    /** Arguments for camel-exec's ffprobe run. */
    public void probeCommand(RunnerJob job, Exchange exchange) {
        exec(exchange, job, FfprobeInfo.command(config.ffprobeBin, job.workDir.resolve(INPUT)));
    }

    /** Reads the probe, writes the ASS file, and sets up the ffmpeg run and its live progress. */
    public void probed(RunnerJob job, ExecResult result, Exchange exchange) throws IOException {
        FfprobeInfo info = readProbe(job, result);
        SubtitleConfig sc = subtitleConfig(job);
        Path progressFile = job.workDir.resolve(PROGRESS);
        exec(exchange, job, ffmpeg.build(new FfmpegCommand.BurnRequest(job.workDir.resolve(INPUT), writeAss(job, info, sc),
                job.workDir.resolve(OUTPUT), progressFile, info, sc)));
        running(job, progressFile, info.durationSeconds());
    }

    /** The input video as ffprobe saw it; a failed or unreadable probe fails the job. */
    static FfprobeInfo readProbe(RunnerJob job, ExecResult result) throws IOException {
        if (result.getExitValue() != 0) {
            throw new RunnerFailure("the input video cannot be read: " + stderr(result, "ffprobe failed"));
        }
        try {
            return FfprobeInfo.parse(Files.readString(job.workDir.resolve("ffprobe.stdout")));
        } catch (IllegalArgumentException e) {
            throw new RunnerFailure("the input video cannot be read: " + e.getMessage());
        }
    }

    /**
     * The job's subtitles as ASS for the input's size, in its work directory: read within
     * {@code MAX_SUBTITLES_BYTES} in the encodings {@link SubtitleText} knows; cues that cannot be read are
     * skipped and counted (one line per job).
     */
    Path writeAss(RunnerJob job, FfprobeInfo info, SubtitleConfig sc) throws IOException {
        WebVttParser.Parsed cues = WebVttParser.read(SubtitleText.read(job.workDir.resolve(VTT), config.maxSubtitlesBytes));
        if (cues.skipped() > 0) {
            LOG.warn("job {}: {} subtitle cue{} skipped (times that cannot be read, or an end not after the start)", job.jobId,
                    cues.skipped(), cues.skipped() == 1 ? "" : "s");
        }
        Path ass = job.workDir.resolve(ASS);
        Files.writeString(ass, new VttToAss(sc).convert(cues.cues(), info.width(), info.height()), StandardCharsets.UTF_8);
        return ass;
    }

    /**
     * The {@code running} callback, then ffmpeg's {@code -progress} file as the job's live progress
     * (0.2→0.9 over {@code durationSeconds} of output).
     */
    void running(RunnerJob job, Path progressFile, double durationSeconds) {
        FfmpegProgress parser = new FfmpegProgress();
        FfmpegProgress.Mapper mapper = new FfmpegProgress.Mapper(durationSeconds);
        FileTail tail = new FileTail(progressFile);
        double[] last = {FfmpegProgress.Mapper.START};
        // the running callback first: live progress set before it would let the timer report
        // 0.2 with the status still "preparing"
        jobs.phase(job, "running", "running", FfmpegProgress.Mapper.START);
        job.liveProgress = () -> {
            for (String line : tail.newLines()) {
                parser.accept(line).ifPresent(s -> last[0] = mapper.progress(s));
            }
            return last[0];
        };
    }

    /** After the ffmpeg run: its exit status decides. */
    public void rendered(RunnerJob job, ExecResult result) {
        job.liveProgress = null;
        if (result.getExitValue() != 0) {
            String text = stderrText(result);
            String last = FfmpegErrors.lastLines(text, FfmpegErrors.DEFAULT_MAX_LINES);
            throw new RunnerFailure("ffmpeg failed: " + DiskSpace.fullMessage(job.workDir, text)
                    .orElse(last.isBlank() ? "exit code " + result.getExitValue() : last));
        }
        if (!Files.exists(job.workDir.resolve(OUTPUT))) {
            throw new RunnerFailure("ffmpeg produced no output");
        }
        jobs.progress(job, FfmpegProgress.Mapper.END);
        LOG.info("ffmpeg done (job {})", job.jobId);
    }

    public void upload(RunnerJob job) {
        jobs.phase(job, "uploading", "uploading", 0.95);
        // a job stopped meanwhile (cancel, stall) ends its upload and tries it no more
        Transfers.Uploaded u = transfers.upload("video", job.workDir.resolve(OUTPUT), job.string("outputPutUrl"), "video/mp4",
                () -> job.abortStatus != null);
        jobs.uploaded(job, "video", job.string("outputVideoKey"), "video/mp4", u);
    }

    public void completed(RunnerJob job) {
        String key = job.string("outputVideoKey");
        jobs.completed(job, key == null ? Map.of() : Map.of("outputKey", key, "outputs", Map.of("video", Map.of("key", key))));
        LOG.info("job {} completed", job.jobId);
    }

    static SubtitleConfig subtitleConfig(RunnerJob job) {
        try {
            return SubtitleConfig.fromEngineOptions(job.engineOptions());
        } catch (IllegalArgumentException e) {
            throw new RunnerFailure("invalid engineOptions: " + e.getMessage());
        }
    }

    static void exec(Exchange exchange, RunnerJob job, List<String> command) {
        exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_EXECUTABLE, command.get(0));
        exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_ARGS, command.subList(1, command.size()));
        exchange.getMessage().setHeader(ExecBinding.EXEC_COMMAND_WORKING_DIR, job.workDir.toString());
    }

    static String stderr(ExecResult result, String fallback) {
        String last = FfmpegErrors.lastLines(stderrText(result), FfmpegErrors.DEFAULT_MAX_LINES);
        return last == null || last.isBlank() ? fallback : last;
    }

    private static String stderrText(ExecResult result) {
        try (InputStream in = result.getStderr()) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
