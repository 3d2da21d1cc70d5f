package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every status code of POST /jobs and GET /jobs/{id}, through the real routes. */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobsApiTest {
    private StubHttpServer next;
    private StubHttpServer runner;
    private RunningApp app;

    @BeforeAll
    void start() throws Exception {
        next = new StubHttpServer();
        next.on("/api/media/", ex -> {
            next.record(ex);
            String p = ex.getRequestURI().getPath();
            if (p.startsWith("/api/media/missing/")) {
                StubHttpServer.respond(ex, 404, "text/plain", "nope".getBytes());
            } else {
                StubHttpServer.respond(ex, 200, "application/octet-stream", ("content of " + p).getBytes());
            }
        });
        runner = new StubHttpServer();
        runner.on("/render", ex -> {
            runner.record(ex);
            StubHttpServer.respond(ex, 202, "application/json", "{\"jobId\":\"x\"}".getBytes());
        });
        app = RunningApp.start(Map.of(
                "NEXT_BASE_URL", next.base().toString(),
                "CONTAINER_BASE_URL", runner.base().toString(),
                "TRANSFER_MODE", "direct"));
    }

    @AfterAll
    void stop() {
        app.close();
        next.close();
        runner.close();
    }

    private Map<String, Object> body(String mediaId, String engine) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("mediaId", mediaId);
        b.put("engine", engine);
        b.put("ts", System.currentTimeMillis());
        return b;
    }

    @Test
    void createsABurnJobAndAnswersItsDocument() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("m-ok", "burner-ffmpeg"));
        assertEquals(202, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        String jobId = (String) json(r).get("jobId");
        assertTrue(JobKeys.isJobId(jobId), jobId);
        assertEquals("queued", json(r).get("status"));
        assertTrue(r.headers().firstValue("x-signature").isEmpty(), "request headers are not echoed");

        HttpResponse<String> g = app.get("/jobs/" + jobId);
        assertEquals(200, g.statusCode());
        Map<String, Object> doc = json(g);
        assertEquals(jobId, doc.get("jobId"));
        assertEquals("m-ok", doc.get("mediaId"));
        assertEquals("burner-ffmpeg", doc.get("engine"));
        assertEquals("queued", doc.get("status"));
        assertEquals("outputs/by-media/m-ok/" + jobId + "/video.mp4", doc.get("outputKey"));
        assertEquals(1, doc.get("attempts"));
        assertTrue(app.app.storage().exists("inputs/videos/m-ok.mp4"));
        assertTrue(app.app.storage().exists("inputs/subtitles/m-ok.vtt"));
    }

    @Test
    void downloaderJobNeedsNoInputs() throws Exception {
        Map<String, Object> b = body("m-dl", "media-downloader");
        b.put("options", Map.of("url", "https://example.com/watch?v=1", "quality", "720p"));
        HttpResponse<String> r = app.postSigned("/jobs", b);
        assertEquals(202, r.statusCode(), r.body());
        assertTrue(next.requests("/api/media/m-dl/").isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"mediaId\":\"m1\",\"engine\":\"burner-ffmpeg\",TS|malformed JSON",
            "[1,2,3]|malformed JSON: expected an object",
            "{\"engine\":\"burner-ffmpeg\",\"ts\":TS}|mediaId is required",
            "{\"mediaId\":\"\",\"engine\":\"burner-ffmpeg\",\"ts\":TS}|mediaId is required",
            "{\"mediaId\":\"../etc\",\"engine\":\"burner-ffmpeg\",\"ts\":TS}|mediaId is invalid: must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}",
            "{\"mediaId\":\"_x\",\"engine\":\"burner-ffmpeg\",\"ts\":TS}|mediaId is invalid: must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}",
            "{\"mediaId\":42,\"engine\":\"burner-ffmpeg\",\"ts\":TS}|mediaId is invalid: must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}",
            "{\"mediaId\":\"m1\",\"ts\":TS}|engine is required",
            "{\"mediaId\":\"m1\",\"engine\":\"blender\",\"ts\":TS}|engine is unknown: must be burner-ffmpeg, media-downloader or renderer-remotion",
            "{\"mediaId\":\"m1\",\"engine\":\"burner-ffmpeg\",\"options\":[1],\"ts\":TS}|options must be an object",
            "{\"mediaId\":\"m1\",\"engine\":\"media-downloader\",\"ts\":TS}|options.url is required for media-downloader",
            "{\"mediaId\":\"m1\",\"engine\":\"media-downloader\",\"options\":{\"url\":\"file:///etc/passwd\"},\"ts\":TS}|options.url must be an http(s) URL",
            "{\"mediaId\":\"m1\",\"engine\":\"media-downloader\",\"options\":{\"url\":\"https://x.example/v\",\"cookies\":\"SID=s3cr3t-value\"},\"ts\":TS}|options.cookies line 1 is not a Netscape cookie line (7 tab-separated fields)",
            "{\"mediaId\":\"m1\",\"engine\":\"media-downloader\",\"options\":{\"url\":\"https://x.example/v\",\"subtitles\":{\"languages\":[\"../x\"]}},\"ts\":TS}|options.subtitles.languages must hold language codes such as en or zh-Hans",
            "{\"mediaId\":\"m1\",\"engine\":\"media-downloader\",\"options\":{\"url\":\"https://x.example/v\",\"thumbnail\":\"yes\"},\"ts\":TS}|options.thumbnail must be true or false",
    })
    void invalidBodiesAre400NamingTheField(String template, String error) throws Exception {
        String text = template.replace("TS", String.valueOf(System.currentTimeMillis()));
        HttpResponse<String> r = app.postRaw("/jobs", text.getBytes(StandardCharsets.UTF_8), Map.of());
        assertEquals(400, r.statusCode(), r.body());
        assertEquals(error, json(r).get("error"));
    }

    @Test
    void badOrMissingSignatureIs401() throws Exception {
        byte[] b = dev.mediaorchestrator.common.Json.writeBytes(body("m1", "burner-ffmpeg"));
        HttpResponse<String> bad = app.postRaw("/jobs", b, Map.of("x-signature", "00".repeat(32)));
        assertEquals(401, bad.statusCode());
        assertEquals("invalid signature", json(bad).get("error"));
        HttpResponse<String> other = app.postRaw("/jobs", b, Map.of("x-signature",
                new dev.mediaorchestrator.common.Hmac("wrong").sign(b)));
        assertEquals(401, other.statusCode());
        HttpResponse<String> none = app.postRaw("/jobs", b, new HashMap<>(Map.of("x-signature", "")));
        assertEquals(401, none.statusCode());
        assertTrue(next.requests("/api/media/m1/").isEmpty(), "nothing fetched for an unsigned request");
    }

    @Test
    void missingOrStaleTsIs401() throws Exception {
        Map<String, Object> noTs = body("m1", "burner-ffmpeg");
        noTs.remove("ts");
        HttpResponse<String> r = app.postSigned("/jobs", noTs);
        assertEquals(401, r.statusCode());
        assertEquals("stale or missing ts", json(r).get("error"));
        Map<String, Object> stale = body("m1", "burner-ffmpeg");
        stale.put("ts", System.currentTimeMillis() - 601_000);
        assertEquals(401, app.postSigned("/jobs", stale).statusCode());
        Map<String, Object> future = body("m1", "burner-ffmpeg");
        future.put("ts", System.currentTimeMillis() + 601_000);
        assertEquals(401, app.postSigned("/jobs", future).statusCode());
        Map<String, Object> text = body("m1", "burner-ffmpeg");
        text.put("ts", String.valueOf(System.currentTimeMillis()));
        assertEquals(401, app.postSigned("/jobs", text).statusCode());
    }

    @Test
    void bodyOver256KiBIs413() throws Exception {
        Map<String, Object> b = body("m1", "burner-ffmpeg");
        b.put("options", Map.of("pad", "x".repeat(256 * 1024)));
        HttpResponse<String> r = app.postSigned("/jobs", b);
        assertEquals(413, r.statusCode());
        assertTrue(((String) json(r).get("error")).startsWith("body too large"));
    }

    @Test
    void formBodyIs415() throws Exception {
        HttpResponse<String> r = app.postRaw("/jobs", "a=b".getBytes(), Map.of("content-type", "application/x-www-form-urlencoded"));
        assertEquals(415, r.statusCode(), r.body());
    }

    @Test
    void missingSourceIs502AndLeavesNoObject() throws Exception {
        HttpResponse<String> r = app.postSigned("/jobs", body("missing", "burner-ffmpeg"));
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("fetch source failed", json(r).get("error"));
        assertFalse(app.app.storage().exists("inputs/videos/missing.mp4"));
        assertFalse(app.app.storage().exists("inputs/subtitles/missing.vtt"));
    }

    @Test
    void missingSubtitlesIs502WithItsOwnText() throws Exception {
        next.on("/api/media/nosubs/subtitles", ex -> StubHttpServer.respond(ex, 500, "text/plain", "boom".getBytes()));
        HttpResponse<String> r = app.postSigned("/jobs", body("nosubs", "burner-ffmpeg"));
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("fetch subtitles failed", json(r).get("error"));
        assertFalse(app.app.storage().exists("inputs/subtitles/nosubs.vtt"));
    }

    @Test
    void unknownJobIs404AndEmptyIdIs400() throws Exception {
        HttpResponse<String> r = app.get("/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa");
        assertEquals(404, r.statusCode());
        assertEquals("not found", json(r).get("error"));
        assertEquals(404, app.get("/jobs/whatever").statusCode());
        HttpResponse<String> empty = app.get("/jobs/");
        assertEquals(400, empty.statusCode());
        assertEquals("jobId required", json(empty).get("error"));
        HttpResponse<String> listing = app.get("/jobs"); // the dashboard's listing (issue 21), open on loopback
        assertEquals(200, listing.statusCode(), listing.body());
        assertTrue(json(listing).get("jobs") instanceof List<?>);
    }
}
