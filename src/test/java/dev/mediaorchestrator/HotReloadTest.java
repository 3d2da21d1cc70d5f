package dev.mediaorchestrator;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import dev.mediaorchestrator.support.Wait;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With ROUTES_RELOAD=true, editing a route file changes the running service. */
@IntegrationTest
class HotReloadTest {
    @Test
    void editingARouteFileIsPickedUpWithoutARestart() throws Exception {
        Path routes = TestServers.tempDir("mo-routes");
        try {
            try (var files = Files.list(Path.of("src/main/resources/routes"))) {
                for (Path f : files.toList()) {
                    Files.copy(f, routes.resolve(f.getFileName()));
                }
            }
            try (RunningApp app = RunningApp.start(Map.of("ROUTES_RELOAD", "true", "ROUTES_RELOAD_DIR", routes.toString()))) {
                assertEquals(400, app.get("/jobs/").statusCode());
                Path file = routes.resolve("orchestrator-jobs.camel.yaml");
                String yaml = Files.readString(file);
                // the steps of GET /jobs[/] (from the first bean to its answer) become a 418
                int from = yaml.indexOf("        - bean:\n            ref: jobListing\n            method: rejectEmptyId\n");
                int to = yaml.indexOf("        - to: direct:respond-json\n", from) + "        - to: direct:respond-json\n".length();
                assertTrue(from > 0 && to > from, "the route's steps are found");
                String edited = yaml.substring(0, from)
                        + "        - setHeader:\n            name: CamelHttpResponseCode\n            constant: 418\n"
                        + "        - setBody:\n            constant: '{\"error\":\"edited\"}'\n"
                        + "        - to: direct:respond-json\n"
                        + yaml.substring(to);
                assertTrue(!edited.equals(yaml));
                Files.writeString(file, edited);
                int status = 0;
                long deadline = System.currentTimeMillis() + 20_000;
                while (System.currentTimeMillis() < deadline) {
                    HttpResponse<String> r = unchecked(app, "/jobs/");
                    status = r.statusCode();
                    if (status == 418 && r.body().equals("{\"error\":\"edited\"}")) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertEquals(418, status, "the edited route answers");
                assertEquals(418, unchecked(app, "/jobs").statusCode());
                // the file's routes come back one after the other: POST /jobs may answer 405 for a moment
                Wait.until("POST /jobs back after the reload", Duration.ofSeconds(20),
                        () -> uncheckedPost(app, "/jobs").statusCode() != 405);
                var post = app.postRaw("/jobs", "{}".getBytes(), Map.of("x-signature", "00"));
                assertEquals(401, post.statusCode(), post.body() + " " + post.headers().map() + " " +
                        "the other routes of the file keep working");
            }
        } finally {
            TestServers.deleteRecursively(routes);
        }
    }

    /**
     * A GET the OpenAPI check does not see: the edited route's 418 is the test's own invention,
     * outside the document on purpose (the answers of the routes it did not edit are still checked).
     */
    private static HttpResponse<String> unchecked(RunningApp app, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(app.base.resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A POST the OpenAPI check does not see: the 405 of a route that is being added again is no answer of the service. */
    private static HttpResponse<String> uncheckedPost(RunningApp app, String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(app.base.resolve(path))
                    .header("x-signature", "00").POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
