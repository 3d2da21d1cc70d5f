package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.runner.JobProcessExecutor;
import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.runner.Transfers;
import org.apache.camel.Exchange;
import org.apache.camel.component.exec.ExecResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.burner.BurnerSteps.INPUT;
import static dev.mediaorchestrator.burner.BurnerSteps.OUTPUT;
import static dev.mediaorchestrator.burner.BurnerSteps.PROGRESS;
import static dev.mediaorchestrator.burner.BurnerSteps.exec;

/**
 * The steps of the segmented burn's tasks in the burner's job route ({@code burner-runner.camel.yaml},
 * one branch per {@link BurnTask} kind; docs/segmented-burn.md). What they share with the plain
 * burn (downloads, the probe, ffmpeg's exit status, the callbacks) is {@link BurnerSteps}'.
 *
 * <ul>
 *   <li>segment: inputs, probe, ASS, {@link SegmentCommands#segmentVideo}, upload of the segment
 *       (video only) to {@code segment.putUrl}; its callbacks report it as output {@code segment}.</li>
 *   <li>join: the input (for its audio) and the segments, probe, {@link SegmentCommands#join},
 *       upload to {@code join.putUrl}: the job's output, reported as the plain burn reports it.</li>
 *   <li>plan: the input, ffprobe's packet list, {@link SegmentPlan}: the {@code completed}
 *       callback carries it as {@code plan}.</li>
 * </ul>
 */
public final class SegmentSteps {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentSteps.class);
    /** What a burner that takes these tasks advertises in {@code /healthz}'s {@code features}. */
    public static final String FEATURE = "segments";

    private final BurnerSteps burner;
    private final RunnerJobs jobs;
    private final Transfers transfers;
    private final SegmentCommands commands;
    private final String ffprobeBinary;

    public SegmentSteps(BurnerSteps burner, RunnerJobs jobs, Transfers transfers, SegmentCommands commands, String ffprobeBinary) {
        this.burner = burner;
        this.jobs = jobs;
        this.transfers = transfers;
        this.commands = commands;
        this.ffprobeBinary = ffprobeBinary;
    }

    /** The job's task kind ({@code burn}, {@code segment}, {@code join}, {@code plan}), which the route branches on; kept on the job for the metrics. */
    public String kind(RunnerJob job) {
        BurnTask task = BurnTask.of(job.payload);
        if (!(task instanceof BurnTask.Burn)) {
            job.task = task.kind();
        }
        return task.kind();
    }

    // ---------------------------------------------------------------- segment

    /** After the probe: the ASS file and the segment's ffmpeg run (after {@link BurnerSteps#prepare}, which downloads video and subtitles). */
    public void segmentCommand(RunnerJob job, ExecResult probe, Exchange exchange) throws IOException {
        BurnTask.Segment segment = (BurnTask.Segment) BurnTask.of(job.payload);
        FfprobeInfo info = BurnerSteps.readProbe(job, probe);
        SubtitleConfig sc = BurnerSteps.subtitleConfig(job);
        Path progressFile = job.workDir.resolve(PROGRESS);
        exec(exchange, job, commands.segmentVideo(new FfmpegCommand.BurnRequest(job.workDir.resolve(INPUT),
                burner.writeAss(job, info, sc), job.workDir.resolve(OUTPUT), progressFile, info, sc),
                segment.start(), segment.end()));
        burner.running(job, progressFile, Math.max(0, segment.length(info.durationSeconds())));
    }

    /** Uploads the segment's video and completes the task with its place in the job. */
    public void deliverSegment(RunnerJob job) {
        BurnTask.Segment segment = (BurnTask.Segment) BurnTask.of(job.payload);
        jobs.phase(job, "uploading", "uploading", 0.95);
        Transfers.Uploaded u = transfers.upload("segment", job.workDir.resolve(OUTPUT), segment.putUrl(), "video/mp4");
        jobs.uploaded(job, "segment", segment.key(), "video/mp4", u);
        Map<String, Object> place = new LinkedHashMap<>();
        place.put("index", segment.index());
        place.put("count", segment.count());
        place.put("start", segment.start());
        place.put("end", segment.end());
        jobs.completed(job, Map.of("segment", place));
        LOG.info("segment {} of {} completed (job {})", segment.index(), segment.count(), job.jobId);
    }

    // ---------------------------------------------------------------- join

    /** Work dir, {@code preparing}, the input (its audio) and every segment streamed to disk, and the concat list. */
    public void prepareJoin(RunnerJob job) throws IOException {
        BurnTask.Join join = (BurnTask.Join) BurnTask.of(job.payload);
        BurnerSteps.subtitleConfig(job); // a bad subtitleConfig fails the job before any download
        Path dir = jobs.workDir(job);
        jobs.phase(job, "preparing", "preparing", 0.05);
        transfers.download("input video", job.string("inputVideoUrl"), dir.resolve(INPUT));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < join.segmentUrls().size(); i++) {
            jobs.checkNotAborted(job);
            names.add(SegmentCommands.segmentFile(i));
            try {
                // one name for every segment: it labels the transfer's metrics
                transfers.download("segment", join.segmentUrls().get(i), dir.resolve(names.get(i)));
            } catch (RunnerFailure e) {
                throw new RunnerFailure("segment " + i + ": " + e.getMessage(), e);
            }
        }
        Files.writeString(dir.resolve(SegmentCommands.CONCAT_LIST), SegmentCommands.concatList(names), StandardCharsets.UTF_8);
        LOG.info("inputs ready (job {}, {} segments)", job.jobId, names.size());
    }

    /** After the probe of the input: the join's ffmpeg run. */
    public void joinCommand(RunnerJob job, ExecResult probe, Exchange exchange) throws IOException {
        FfprobeInfo info = BurnerSteps.readProbe(job, probe);
        Path progressFile = job.workDir.resolve(PROGRESS);
        exec(exchange, job, commands.join(new SegmentCommands.JoinRequest(job.workDir.resolve(SegmentCommands.CONCAT_LIST),
                job.workDir.resolve(INPUT), job.workDir.resolve(OUTPUT), progressFile, info, BurnerSteps.subtitleConfig(job))));
        burner.running(job, progressFile, info.durationSeconds());
    }

    /** Uploads the joined video, the job's output, and completes the task as the plain burn completes. */
    public void deliverJoined(RunnerJob job) {
        BurnTask.Join join = (BurnTask.Join) BurnTask.of(job.payload);
        jobs.phase(job, "uploading", "uploading", 0.95);
        Transfers.Uploaded u = transfers.upload("video", job.workDir.resolve(OUTPUT), join.putUrl(), "video/mp4");
        jobs.uploaded(job, "video", join.key(), "video/mp4", u);
        String key = join.key();
        jobs.completed(job, key == null ? Map.of() : Map.of("outputKey", key, "outputs", Map.of("video", Map.of("key", key))));
        LOG.info("job {} completed (joined {} segments)", job.jobId, join.segmentUrls().size());
    }

    // ---------------------------------------------------------------- plan

    /** Work dir, {@code preparing}, the input streamed to disk, then ffprobe's packet list as the next command. */
    public void planCommand(RunnerJob job, Exchange exchange) {
        Path dir = jobs.workDir(job);
        jobs.phase(job, "preparing", "preparing", 0.05);
        transfers.download("input video", job.string("inputVideoUrl"), dir.resolve(INPUT));
        LOG.info("inputs ready (job {})", job.jobId);
        jobs.phase(job, "running", "running", 0.2);
        exec(exchange, job, VideoTimeline.command(ffprobeBinary, dir.resolve(INPUT)));
    }

    /** Reads the packet list, chooses the cuts and completes the task with the plan. */
    public void planned(RunnerJob job, ExecResult probe) throws IOException {
        if (probe.getExitValue() != 0) {
            throw new RunnerFailure("the input video cannot be read: " + BurnerSteps.stderr(probe, "ffprobe failed"));
        }
        BurnTask.Plan plan = (BurnTask.Plan) BurnTask.of(job.payload);
        VideoTimeline timeline;
        try (BufferedReader lines = Files.newBufferedReader(JobProcessExecutor.stdoutFile(job.workDir, ffprobeBinary), StandardCharsets.UTF_8)) {
            timeline = VideoTimeline.parse(lines);
        }
        SegmentPlan chosen = SegmentPlan.choose(timeline, plan.segmentSeconds(), plan.minSegmentSeconds());
        jobs.completed(job, Map.of("plan", chosen.toMap()));
        LOG.info("job {} planned: {} segments{}", job.jobId, chosen.segments().size(),
                chosen.reason() == null ? "" : " (" + chosen.reason() + ")");
    }
}
