package dev.mediaorchestrator;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.ValidatingHttpClient;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;

/**
 * Issue 17: {@code /openapi.json} and {@code /openapi.yaml} parse with a real OpenAPI parser
 * (swagger-parser) without a message, and the document's paths and methods are exactly what the
 * routes serve — collected from the platform-http endpoints of a running orchestrator (local mode,
 * so the app's endpoints too), burner and downloader, each runner alone (its endpoints at the root).
 */
@IntegrationTest
class OpenApiTest {

    @Test
    void theDocumentParsesAndMatchesTheServedEndpoints() throws Exception {
        Set<String> served = new TreeSet<>();
        String yaml;
        String json;
        try (RunningApp orchestrator = RunningApp.start(Map.of("ROLES", "orchestrator"))) {
            served.addAll(served(orchestrator));
            // the live stream is on the Vert.x router itself (a platform-http route would end it): served, not a route
            HttpResponse<InputStream> stream = ValidatingHttpClient.wrap(HttpClient.newHttpClient()).send(
                    HttpRequest.newBuilder(orchestrator.base.resolve(dev.mediaorchestrator.dashboard.JobEvents.PATH)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            stream.body().close();
            assertEquals(200, stream.statusCode(), "the stream is served");
            served.add("GET " + dev.mediaorchestrator.dashboard.JobEvents.PATH);
            HttpResponse<String> y = orchestrator.get("/openapi.yaml");
            assertEquals(200, y.statusCode());
            assertTrue(y.headers().firstValue("content-type").orElse("").startsWith("application/yaml"));
            yaml = y.body();
            HttpResponse<String> j = orchestrator.get("/openapi.json");
            assertEquals(200, j.statusCode());
            json = j.body();
        }
        for (String role : List.of("burner", "downloader")) {
            try (RunningApp runner = RunningApp.start(Map.of("ROLES", role))) {
                served.addAll(served(runner));
                assertEquals(200, runner.get("/openapi.json").statusCode(), "every role serves the document");
            }
        }

        OpenAPI fromYaml = parse(yaml);
        OpenAPI fromJson = parse(json);
        assertEquals(documented(fromYaml), documented(fromJson), "the JSON is the YAML");
        assertEquals(served, documented(fromYaml), "documented paths and methods = served ones");
        // #20: /artifacts may answer 302 (ARTIFACTS_REDIRECT), with its Location
        var redirect = fromYaml.getPaths().get("/artifacts/{jobId}").getGet().getResponses().get("302");
        assertTrue(redirect != null && redirect.getHeaders().containsKey("Location"), "GET /artifacts documents its 302");
        // every operation documents its error body, and the signed ones the x-signature header
        fromYaml.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
            assertTrue(op.getResponses() != null && !op.getResponses().isEmpty(), method + " " + path + " has responses");
            boolean signed = List.of("/jobs", "/jobs/{jobId}/cancel", "/jobs/{jobId}/callback/redeliver", "/callbacks/container",
                    "/cancel/{jobId}").contains(path) && method.name().equals("POST");
            if (signed) {
                assertTrue(op.getParameters().stream().anyMatch(p -> "x-signature".equals(p.getName()) && "header".equals(p.getIn())),
                        method + " " + path + " documents x-signature");
                assertTrue(op.getResponses().containsKey("401"), method + " " + path + " documents 401");
            }
        }));
    }

    /**
     * Issue 30: what CONTRACT.md fixes is required in the document (the checks of every test's
     * exchanges, support/OpenApiCheck, then refuse a document or callback without it), and
     * every refusal with a JSON body is the Error object.
     */
    @Test
    void whatTheContractFixesIsRequiredAndEveryRefusalIsTheErrorObject() throws Exception {
        String yaml;
        try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        OpenAPI api = parse(yaml);
        Map<String, Schema> schemas = api.getComponents().getSchemas();
        // CONTRACT.md's job document example, every field of it
        assertTrue(required(schemas.get("Job")).containsAll(List.of("jobId", "mediaId", "engine", "status", "phase", "progress",
                "outputKey", "outputAudioKey", "outputMetadataKey", "outputs", "metadata", "error", "createdAt", "ts", "durationMs",
                "attempts")), "the job document's fields are required: " + required(schemas.get("Job")));
        assertTrue(required(schemas.get("TerminalCallback")).containsAll(List.of("jobId", "mediaId", "engine", "status", "ts",
                "nonce", "durationMs", "attempts")), "the terminal callback's fields are required");
        assertEquals(List.of("error"), required(schemas.get("Error")));
        Schema<?> error = schemas.get("Error");
        api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> op.getResponses().forEach((code, r) -> {
            if (code.startsWith("4") && r.getContent() != null && r.getContent().get("application/json") != null) {
                assertEquals(error, r.getContent().get("application/json").getSchema(), method + " " + path + " " + code + " is the Error object");
            }
        })));
    }

    private static List<String> required(Schema<?> schema) {
        return schema.getRequired() == null ? List.of() : schema.getRequired();
    }

    private static OpenAPI parse(String text) {
        io.swagger.v3.parser.core.models.ParseOptions options = new io.swagger.v3.parser.core.models.ParseOptions();
        options.setResolveFully(true); // $refs inlined: an operation's parameters are there to check
        SwaggerParseResult r = new OpenAPIV3Parser().readContents(text, null, options);
        assertEquals(List.of(), r.getMessages() == null ? List.of() : r.getMessages(), "parser messages");
        assertTrue(r.getOpenAPI() != null && r.getOpenAPI().getOpenapi().startsWith("3."));
        return r.getOpenAPI();
    }

    private static Set<String> documented(OpenAPI api) {
        Set<String> out = new TreeSet<>();
        api.getPaths().forEach((path, item) -> item.readOperationsMap().keySet()
                .forEach(m -> out.add(m.name() + " " + path)));
        return out;
    }

    /** "METHOD /path" for every platform-http consumer of the running service. */
    private static Set<String> served(RunningApp app) {
        Set<String> out = new TreeSet<>();
        for (Route route : app.app.camelContext().getRoutes()) {
            if (route.getEndpoint() instanceof PlatformHttpEndpoint e) {
                String methods = e.getHttpMethodRestrict() == null ? "GET" : e.getHttpMethodRestrict();
                for (String m : methods.split(",")) {
                    out.add(m.trim().toUpperCase(Locale.ROOT) + " " + e.getPath());
                }
            }
        }
        assertTrue(!out.isEmpty(), "platform-http endpoints found");
        return out;
    }
}
