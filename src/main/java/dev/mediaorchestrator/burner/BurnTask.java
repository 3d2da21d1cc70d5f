package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.runner.RenderRequestCheck;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a burner {@code /render} payload asks for (docs/segmented-burn.md): the contract's plain
 * burn, or one of the three tasks of a segmented burn, told apart by the one object the payload
 * carries: {@code segment} (burn frames {@code [start, end)} of the input, video only),
 * {@code join} (the segments' videos one after the other, with the input's audio encoded once) or
 * {@code plan} (where to cut the input).
 *
 * <p>None of the three has the contract's {@code outputPutUrl}: their PUT URLs are inside the
 * object. The original burner, which knows only the contract's fields, therefore refuses such a
 * payload (no output URL) or fails it, and never writes anything; a segment can only be burned by a
 * burner that understands it.
 *
 * <p>{@link #of} validates the payload's task object: a malformed one is a 400 naming the field.
 */
public sealed interface BurnTask {
    /** The largest number of segments of one burn. */
    int MAX_SEGMENTS = SegmentPlan.MAX_SEGMENTS;

    /** {@code burn}, {@code segment}, {@code join} or {@code plan}. */
    String kind();

    /** The top-level URL fields this task needs ({@code RunnerJobs.accept} checks them: {@link RenderRequestCheck}). */
    List<String> requiredUrls();

    /** The contract's burn: subtitles and effects over the whole input, one output. */
    record Burn() implements BurnTask {
        @Override
        public String kind() {
            return "burn";
        }

        @Override
        public List<String> requiredUrls() {
            return List.of("inputVideoUrl", "inputVttUrl", "outputPutUrl");
        }
    }

    /**
     * One segment: the input's frames whose time is in {@code [start, end)} (seconds on the input's
     * timeline; {@code end} null: to the end of the input), burned as the whole run would burn them,
     * video only, uploaded with {@code putUrl}; {@code key} names it in the callbacks.
     */
    record Segment(int index, int count, double start, Double end, String putUrl, String key) implements BurnTask {
        @Override
        public String kind() {
            return "segment";
        }

        @Override
        public List<String> requiredUrls() {
            return List.of("inputVideoUrl", "inputVttUrl");
        }

        /** Seconds of input this segment covers ({@code duration}: the input's, for the last one). */
        public double length(double duration) {
            return (end == null ? duration : end) - start;
        }
    }

    /**
     * The join: the segments' videos ({@code segmentUrls}, in order) copied one after the other,
     * the input's audio encoded once over the whole input, uploaded with {@code putUrl} as the job's
     * output {@code key}.
     */
    record Join(List<String> segmentUrls, String putUrl, String key) implements BurnTask {
        @Override
        public String kind() {
            return "join";
        }

        @Override
        public List<String> requiredUrls() {
            return List.of("inputVideoUrl");
        }
    }

    /** The plan: where to cut the input into segments of about {@code segmentSeconds}, none shorter than {@code minSegmentSeconds}. */
    record Plan(double segmentSeconds, double minSegmentSeconds) implements BurnTask {
        @Override
        public String kind() {
            return "plan";
        }

        @Override
        public List<String> requiredUrls() {
            return List.of("inputVideoUrl");
        }
    }

    /** The task of a {@code /render} payload; a malformed {@code segment}, {@code join} or {@code plan} is a 400. */
    static BurnTask of(Map<String, Object> payload) {
        List<String> given = new ArrayList<>();
        for (String k : List.of("segment", "join", "plan")) {
            if (payload.get(k) != null) {
                given.add(k);
            }
        }
        if (given.size() > 1) {
            throw HttpError.badRequest("only one of segment, join, plan may be given, got " + String.join(", ", given));
        }
        if (given.isEmpty()) {
            return new Burn();
        }
        String name = given.get(0);
        if (!(payload.get(name) instanceof Map<?, ?> object)) {
            throw HttpError.badRequest(name + " must be an object");
        }
        return switch (name) {
            case "segment" -> segment(object);
            case "join" -> join(object);
            default -> plan(object);
        };
    }

    private static Segment segment(Map<?, ?> s) {
        int count = integer(s, "segment.count", "count", 1, MAX_SEGMENTS);
        int index = integer(s, "segment.index", "index", 0, count - 1);
        double start = number(s, "segment.start", "start");
        if (start < 0) {
            throw HttpError.badRequest("segment.start must be a number ≥ 0");
        }
        Double end = null;
        if (s.get("end") != null) {
            end = number(s, "segment.end", "end");
            if (end <= start) {
                throw HttpError.badRequest("segment.end must be greater than segment.start (or null: to the end of the input)");
            }
        }
        return new Segment(index, count, start, end, url(s, "segment.putUrl", "putUrl"), key(s, "segment.key"));
    }

    private static Join join(Map<?, ?> j) {
        if (!(j.get("segmentUrls") instanceof List<?> list) || list.isEmpty() || list.size() > MAX_SEGMENTS) {
            throw HttpError.badRequest("join.segmentUrls must be a list of 1 to " + MAX_SEGMENTS + " URLs");
        }
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String u) || !RenderRequestCheck.isHttpUrl(u)) {
                throw HttpError.badRequest("join.segmentUrls[" + i + "] must be an http(s) URL");
            }
            urls.add(u);
        }
        return new Join(List.copyOf(urls), url(j, "join.putUrl", "putUrl"), key(j, "join.key"));
    }

    private static Plan plan(Map<?, ?> p) {
        double seconds = number(p, "plan.segmentSeconds", "segmentSeconds");
        if (seconds <= 0 || seconds > 86_400) {
            throw HttpError.badRequest("plan.segmentSeconds must be a number of seconds in (0, 86400]");
        }
        double min = seconds / 2;
        if (p.get("minSegmentSeconds") != null) {
            min = number(p, "plan.minSegmentSeconds", "minSegmentSeconds");
            if (min <= 0 || min > seconds) {
                throw HttpError.badRequest("plan.minSegmentSeconds must be a number of seconds in (0, segmentSeconds]");
            }
        }
        return new Plan(seconds, min);
    }

    private static int integer(Map<?, ?> m, String field, String key, int min, int max) {
        if (!(m.get(key) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < min || n.doubleValue() > max) {
            throw HttpError.badRequest(field + " must be an integer in [" + min + ", " + max + "]");
        }
        return n.intValue();
    }

    private static double number(Map<?, ?> m, String field, String key) {
        if (!(m.get(key) instanceof Number n) || !Double.isFinite(n.doubleValue())) {
            throw HttpError.badRequest(field + " must be a number");
        }
        return n.doubleValue();
    }

    private static String url(Map<?, ?> m, String field, String key) {
        if (!(m.get(key) instanceof String u) || !RenderRequestCheck.isHttpUrl(u)) {
            throw HttpError.badRequest(field + " is required (an http(s) URL)");
        }
        return u;
    }

    /** An optional bucket key, reported back in the callbacks. */
    private static String key(Map<?, ?> m, String field) {
        Object k = m.get("key");
        if (k == null) {
            return null;
        }
        if (!(k instanceof String s) || s.isBlank() || s.length() > 1024) {
            throw HttpError.badRequest(field + " must be a bucket key (a string of at most 1024 characters)");
        }
        return s;
    }
}
