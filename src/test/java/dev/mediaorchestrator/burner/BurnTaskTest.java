package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.common.HttpError;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What a burner {@code /render} payload asks for, and the 400s for a malformed segment, join or plan. */
class BurnTaskTest {
    private static final String PUT = "https://bucket.example/segments/m1/job_a/001.mp4?X-Amz-Signature=x";

    private static Map<String, Object> payload(String field, Object value) {
        Map<String, Object> p = new HashMap<>(Map.of("jobId", "job_a-s001", "inputVideoUrl", "https://b.example/in"));
        p.put(field, value);
        return p;
    }

    private static Map<String, Object> segment(Object... keyValues) {
        Map<String, Object> s = new HashMap<>(Map.of("index", 1, "count", 3, "start", 3.98, "end", 7.98, "putUrl", PUT,
                "key", "segments/m1/job_a/001.mp4"));
        for (int i = 0; i < keyValues.length; i += 2) {
            s.put((String) keyValues[i], keyValues[i + 1]);
        }
        return s;
    }

    private static String error(Map<String, Object> payload) {
        HttpError e = assertThrows(HttpError.class, () -> BurnTask.of(payload));
        assertEquals(400, e.getStatus());
        return e.getError();
    }

    @Test
    void aPayloadWithoutTaskIsTheContractsBurn() {
        BurnTask task = BurnTask.of(Map.of("jobId", "job_a"));
        assertEquals("burn", task.kind());
        assertEquals(List.of("inputVideoUrl", "inputVttUrl", "outputPutUrl"), task.requiredUrls());
    }

    @Test
    void aSegment() {
        BurnTask.Segment s = (BurnTask.Segment) BurnTask.of(payload("segment", segment()));
        assertEquals(new BurnTask.Segment(1, 3, 3.98, 7.98, PUT, "segments/m1/job_a/001.mp4"), s);
        assertEquals(List.of("inputVideoUrl", "inputVttUrl"), s.requiredUrls(), "no outputPutUrl: the original burner refuses it");
        assertEquals(4.0, s.length(12), 1e-9);
        BurnTask.Segment last = (BurnTask.Segment) BurnTask.of(payload("segment", segment("index", 2, "start", 7.98, "end", null)));
        assertNull(last.end());
        assertEquals(4.02, last.length(12), 1e-9);
    }

    @Test
    void aMalformedSegmentIsA400NamingTheField() {
        assertEquals("segment must be an object", error(payload("segment", "1/3")));
        assertEquals("segment.count must be an integer in [1, 200]", error(payload("segment", segment("count", 201))));
        assertEquals("segment.index must be an integer in [0, 2]", error(payload("segment", segment("index", 3))));
        assertEquals("segment.index must be an integer in [0, 2]", error(payload("segment", segment("index", 1.5))));
        assertEquals("segment.start must be a number", error(payload("segment", segment("start", "3.98"))));
        assertEquals("segment.start must be a number ≥ 0", error(payload("segment", segment("start", -1))));
        assertEquals("segment.end must be greater than segment.start (or null: to the end of the input)",
                error(payload("segment", segment("end", 3.98))));
        assertEquals("segment.putUrl is required (an http(s) URL)", error(payload("segment", segment("putUrl", "file:/etc/passwd"))));
        assertEquals("segment.key must be a bucket key (a string of at most 1024 characters)", error(payload("segment", segment("key", 7))));
    }

    @Test
    void aJoin() {
        Map<String, Object> join = Map.of("segmentUrls", List.of("https://b.example/s0", "http://b.example/s1"),
                "putUrl", PUT, "key", "outputs/by-media/m1/job_a/video.mp4");
        BurnTask.Join j = (BurnTask.Join) BurnTask.of(payload("join", join));
        assertEquals(List.of("https://b.example/s0", "http://b.example/s1"), j.segmentUrls());
        assertEquals(List.of("inputVideoUrl"), j.requiredUrls());
        assertEquals("outputs/by-media/m1/job_a/video.mp4", j.key());
    }

    @Test
    void aMalformedJoinIsA400NamingTheField() {
        assertEquals("join.segmentUrls must be a list of 1 to 200 URLs", error(payload("join", Map.of("putUrl", PUT))));
        assertEquals("join.segmentUrls must be a list of 1 to 200 URLs", error(payload("join", Map.of("segmentUrls", List.of(), "putUrl", PUT))));
        assertEquals("join.segmentUrls must be a list of 1 to 200 URLs",
                error(payload("join", Map.of("segmentUrls", Collections.nCopies(201, "https://b.example/s"), "putUrl", PUT))));
        assertEquals("join.segmentUrls[1] must be an http(s) URL",
                error(payload("join", Map.of("segmentUrls", List.of("https://b.example/s0", "ftp://b.example/s1"), "putUrl", PUT))));
        assertEquals("join.putUrl is required (an http(s) URL)", error(payload("join", Map.of("segmentUrls", List.of("https://b.example/s0")))));
    }

    @Test
    void aPlan() {
        BurnTask.Plan p = (BurnTask.Plan) BurnTask.of(payload("plan", Map.of("segmentSeconds", 300)));
        assertEquals(new BurnTask.Plan(300, 150), p, "the minimum defaults to half a segment");
        assertEquals(new BurnTask.Plan(300, 30), BurnTask.of(payload("plan", Map.of("segmentSeconds", 300, "minSegmentSeconds", 30))));
        assertEquals(List.of("inputVideoUrl"), p.requiredUrls());
    }

    @Test
    void aMalformedPlanIsA400NamingTheField() {
        assertEquals("plan.segmentSeconds must be a number", error(payload("plan", Map.of())));
        assertEquals("plan.segmentSeconds must be a number of seconds in (0, 86400]", error(payload("plan", Map.of("segmentSeconds", 0))));
        assertEquals("plan.minSegmentSeconds must be a number of seconds in (0, segmentSeconds]",
                error(payload("plan", Map.of("segmentSeconds", 300, "minSegmentSeconds", 301))));
    }

    @Test
    void onlyOneTaskPerPayload() {
        Map<String, Object> both = payload("segment", segment());
        both.put("plan", Map.of("segmentSeconds", 300));
        assertEquals("only one of segment, join, plan may be given, got segment, plan", error(both));
        Map<String, Object> nulls = payload("segment", null);
        assertInstanceOf(BurnTask.Burn.class, BurnTask.of(nulls), "a null task field is no task");
        assertFalse(BurnTask.of(nulls) instanceof BurnTask.Segment);
    }
}
