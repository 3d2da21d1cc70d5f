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
                // Camel re-adds the file's routes one after the other: for a moment a request may meet a route
                // being stopped (500) or a method without its route yet (405); the reload is done when all answer
                Wait.until("the edited routes answer, and the file's other routes are back", Duration.ofSeconds(20), () -> {
                    HttpResponse<String> edited1 = unchecked(app, "/jobs/");
                    return edited1.statusCode() == 418 && edited1.body().equals("{\"error\":\"edited\"}")
                            && unchecked(app, "/jobs").statusCode() == 418 && uncheckedPost(app, "/jobs").statusCode() == 401;
                });
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
    private static HttpResponse<String> unchecked(RunningApp app, String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(app.base.resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A POST the OpenAPI check does not see: a route that is being added again may answer 405 for a moment. */
    private static HttpResponse<String> uncheckedPost(RunningApp app, String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(app.base.resolve(path))
                    .header("x-signature", "00").POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
