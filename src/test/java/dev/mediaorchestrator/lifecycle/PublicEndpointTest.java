package dev.mediaorchestrator.lifecycle;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.support.AppStandIn;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.Put;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static dev.mediaorchestrator.support.RunningApp.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * R2_S3_PUBLIC_ENDPOINT: the runners reach the store by one name (compose: http://minio:9000), the
 * app by another (http://localhost:9000). URLs for the runners are signed for the first, the
 * callback's URLs for the second, and each works from where it is used (the host is signed).
 */
@IntegrationTest
class PublicEndpointTest {
    @Test
    void theCallbacksUrlsAreSignedForThePublicEndpoint() throws Exception {
        Path dir = TestServers.tempDir("mo-public");
        EmbeddedS3 s3 = dev.mediaorchestrator.support.TestServers.embeddedS3(dir);
        s3.createBucket("vidgen-render");
        URI internal = s3.endpoint(); // http://127.0.0.1:port
        URI publicEndpoint = URI.create("http://localhost:" + internal.getPort()); // the same server by another name
        try (AppStandIn next = new AppStandIn(new Hmac(RunningApp.SECRET)); StubHttpServer runner = new StubHttpServer()) {
            next.media("pub1", "source", "v".getBytes()).media("pub1", "subtitles", "WEBVTT\n".getBytes());
            runner.on("/render", ex -> {
                Map<String, Object> p = Json.parseObject(runner.record(ex).body());
                StubHttpServer.respond(ex, 202, "application/json", "{}".getBytes());
                assertTrue(((String) p.get("outputPutUrl")).startsWith(internal + "/"), "the runner's URL: " + p.get("outputPutUrl"));
                Put.put(URI.create((String) p.get("outputPutUrl")), "video/mp4", "public bytes".getBytes());
            });
            try (RunningApp app = RunningApp.start(Map.of("NEXT_BASE_URL", next.base().toString(), "CONTAINER_BASE_URL", runner.base().toString(),
                    "R2_S3_ENDPOINT", internal.toString(), "R2_S3_PUBLIC_ENDPOINT", publicEndpoint.toString(),
                    "R2_ACCESS_KEY_ID", s3.accessKey(), "R2_SECRET_ACCESS_KEY", s3.secretKey(), "COMPLETION_POLL_INTERVAL_MS", "200"))) {
                HttpResponse<String> r = app.postSigned("/jobs", Map.of("mediaId", "pub1", "engine", "burner-ffmpeg", "ts", System.currentTimeMillis()));
                assertEquals(202, r.statusCode(), r.body());
                String jobId = (String) json(r).get("jobId");
                Wait.until("the app's callback", Duration.ofSeconds(30), () -> !next.acceptedFor(jobId).isEmpty());
                String url = (String) next.acceptedFor(jobId).get(0).get("outputUrl");
                assertTrue(url.startsWith(publicEndpoint + "/"), "signed for the public endpoint: " + url);
                HttpResponse<byte[]> got = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, got.statusCode(), "works from the app's side");
                assertArrayEquals("public bytes".getBytes(), got.body());
                String rewritten = url.replace(publicEndpoint.toString(), internal.toString());
                assertEquals(403, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rewritten)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode(), "a host rewritten by hand breaks the signature (why the setting exists)");
            }
        } finally {
            s3.close();
            TestServers.deleteRecursively(dir);
        }
    }
}
