package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code POST /render} payloads of a segmented burn's tasks (docs/segmented-burn.md §1: the plan,
 * a segment, the join), their ids, and where their segments go in the bucket.
 *
 * <p>A task's id is its job's with a suffix: {@code -plan}, {@code -s003}, {@code -join}, and for a
 * run after the first {@code -r{n}} ({@code job_…-s003-r2}): a burner remembers the ids it ran for an
 * hour and answers a known one as a copy of its first dispatch, so a task run again must have a new
 * one. A dispatch sent again (the runner did not answer) keeps its id: a runner that took it answers
 * it as the copy it is. Its callbacks go to {@code /callbacks/tasks} ({@link TaskCallbacks}).
 */
public final class BurnTasks {
    /** The kind signed into a fallback-mode segment URL ({@code /segments/{jobId}/{index}}). */
    public static final String SEGMENT_URL_KIND = "segment";
    public static final String CALLBACK_PATH = "/callbacks/tasks";
    private static final Pattern RUN_ID = Pattern.compile("(job_[a-z2-7]{26})-(plan|join|s([0-9]{3}))(?:-r([1-9][0-9]?))?");

    /** A task run's id taken apart. */
    public record RunRef(String jobId, SegmentedBurn.Kind kind, int index, int attempt) {
    }

    private final Config config;
    private final TransferUrls urls;
    private final Clock clock;

    public BurnTasks(Config config, TransferUrls urls, Clock clock) {
        this.config = config;
        this.urls = urls;
        this.clock = clock;
    }

    /** The id of run {@code attempt} (1, 2, …) of a task of {@code jobId}. */
    public static String runId(String jobId, SegmentedBurn.Kind kind, int index, int attempt) {
        String base = jobId + switch (kind) {
            case PLAN -> "-plan";
            case JOIN -> "-join";
            case SEGMENT -> String.format(Locale.ROOT, "-s%03d", index);
        };
        return attempt > 1 ? base + "-r" + attempt : base;
    }

    /** A task run's id taken apart, or null when {@code id} is none. */
    public static RunRef parse(Object id) {
        if (!(id instanceof String s)) {
            return null;
        }
        Matcher m = RUN_ID.matcher(s);
        if (!m.matches()) {
            return null;
        }
        SegmentedBurn.Kind kind = m.group(3) != null ? SegmentedBurn.Kind.SEGMENT
                : m.group(2).equals("plan") ? SegmentedBurn.Kind.PLAN : SegmentedBurn.Kind.JOIN;
        int index = m.group(3) == null ? -1 : Integer.parseInt(m.group(3));
        return new RunRef(m.group(1), kind, index, m.group(4) == null ? 1 : Integer.parseInt(m.group(4)));
    }

    /** {@code segments/{mediaId}/{jobId}/}: every segment of the job, a prefix of its own (nothing that reads outputs/ sees one). */
    public static String segmentsPrefix(Job job) {
        return "segments/" + job.mediaId + "/" + job.jobId + "/";
    }

    public static String segmentKey(Job job, int index) {
        return segmentsPrefix(job) + String.format(Locale.ROOT, "%03d.mp4", index);
    }

    /** The {@code kind} of a fallback-mode {@code /upload} of segment {@code index}. */
    public static String segmentKind(int index) {
        return String.format(Locale.ROOT, "segment.%03d", index);
    }

    /** The segment index of an {@code /upload} kind {@code segment.NNN}, or -1. */
    public static int segmentOfKind(String kind) {
        if (kind == null || !kind.matches("segment\\.[0-9]{3}")) {
            return -1;
        }
        return Integer.parseInt(kind.substring("segment.".length()));
    }

    /** The payload of run {@code ref} of the job's task. */
    Map<String, Object> payload(Job job, RunRef ref) {
        Map<String, Object> p = new LinkedHashMap<>();
        String runId = runId(job.jobId, ref.kind(), ref.index(), ref.attempt());
        p.put("jobId", runId);
        p.put("mediaId", job.mediaId);
        p.put("engine", job.engine.id);
        p.put("callbackUrl", config.orchestratorBaseUrlContainer + CALLBACK_PATH);
        p.put("engineOptions", job.options());
        p.put("inputVideoUrl", urls.input(job.mediaId, Engine.InputKind.VIDEO));
        SegmentedBurn sb = job.segments;
        switch (ref.kind()) {
            case PLAN -> {
                Map<String, Object> plan = new LinkedHashMap<>();
                plan.put("segmentSeconds", config.burnSegmentSeconds);
                plan.put("minSegmentSeconds", config.burnSegmentSeconds / 2.0);
                p.put("plan", plan);
            }
            case SEGMENT -> {
                SegmentedBurn.Segment s = sb.segments.get(ref.index());
                p.put("inputVttUrl", urls.input(job.mediaId, Engine.InputKind.SUBTITLES));
                Map<String, Object> segment = new LinkedHashMap<>();
                segment.put("index", s.index());
                segment.put("count", sb.segments.size());
                segment.put("start", s.start());
                segment.put("end", s.end());
                segment.put("putUrl", urls.segmentPut(job, s.index()));
                segment.put("key", segmentKey(job, s.index()));
                p.put("segment", segment);
            }
            case JOIN -> {
                List<String> segmentUrls = new ArrayList<>();
                for (SegmentedBurn.Segment s : sb.segments) {
                    segmentUrls.add(urls.segmentGet(job, s.index()));
                }
                Map<String, Object> join = new LinkedHashMap<>();
                join.put("segmentUrls", segmentUrls);
                join.put("putUrl", urls.output(job, Engine.OutputKind.VIDEO));
                join.put("key", job.outputKey(Engine.OutputKind.VIDEO));
                p.put("join", join);
            }
        }
        p.put("ts", clock.millis());
        // one nonce per run, kept when its dispatch is sent again
        p.put("nonce", UUID.nameUUIDFromBytes((job.dispatchNonce + "/" + runId).getBytes(StandardCharsets.UTF_8)).toString());
        return p;
    }
}
