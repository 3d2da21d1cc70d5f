package dev.mediaorchestrator.support;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The check every integration test's HTTP goes through ({@link OpenApiCheck}), on its own: an
 * answer with a field of the wrong type, a missing required field, an undocumented status or
 * query parameter is refused, with a message naming the endpoint, the field and the rule; a request
 * outside the document passes only when it is refused as documented or allowed where it is sent.
 */
class OpenApiCheckTest {
    private static final String SMALL = """
            openapi: 3.0.3
            info: {title: t, version: '1'}
            paths:
              /things/{id}:
                get:
                  parameters:
                    - {name: id, in: path, required: true, schema: {type: string}}
                  responses:
                    '200':
                      description: a thing
                      content:
                        application/json:
                          schema:
                            type: object
                            required: [id, count]
                            properties:
                              id: {type: string}
                              count: {type: integer}
                              note: {type: string, nullable: true}
                    '404': {description: no, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
              /things:
                post:
                  requestBody:
                    required: true
                    content:
                      application/json:
                        schema:
                          type: object
                          required: [name]
                          additionalProperties: false
                          properties:
                            name: {type: string}
                  responses:
                    '201': {description: made, content: {application/json: {schema: {type: object}}}}
                    '400': {description: refused, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
            components:
              schemas:
                Error:
                  type: object
                  required: [error]
                  properties:
                    error: {type: string}
            """;
    private final OpenApiCheck doc = OpenApiCheck.of(SMALL);

    @Test
    void anAnswerWithAFieldOfTheWrongTypeIsRefusedNamingEndpointFieldAndRule() {
        WireExchange x = get("/things/a", 200, "{\"id\":\"a\",\"count\":\"7\"}");
        List<String> problems = doc.problems(x, false);
        assertEquals(1, problems.size(), problems.toString());
        String p = problems.get(0);
        assertTrue(p.contains("/count"), p);
        assertTrue(p.contains("validation.response.body.schema.type"), p);
        assertTrue(p.contains("GET /things/{id}"), p);
        String message = OpenApiCheck.failure(x, problems).getMessage();
        assertTrue(message.startsWith("openapi.yaml: GET /things/a → 200 is not what the document says"), message);
    }

    @Test
    void aMissingRequiredFieldAnUndocumentedStatusAndAnUnknownQueryParameterAreRefused() {
        assertTrue(doc.problems(get("/things/a", 200, "{\"id\":\"a\",\"countt\":7}"), false).toString()
                .contains("validation.response.body.schema.required"));
        assertTrue(doc.problems(get("/things/a", 503, "{\"error\":\"down\"}"), false).toString()
                .contains("validation.response.status.unknown"));
        assertTrue(doc.problems(get("/things/a?verbose=1", 200, "{\"id\":\"a\",\"count\":7}"), false).toString()
                .contains("validation.request.parameter.query.unexpected"));
    }

    @Test
    void aDocumentedAnswerPassesAndObjectsGrowUnlessClosed() {
        assertEquals(List.of(), doc.problems(get("/things/a", 200, "{\"id\":\"a\",\"count\":7,\"note\":null,\"extra\":true}"), false));
        assertEquals(List.of(), doc.problems(get("/things/a", 404, "{\"error\":\"not found\"}"), false));
        // additionalProperties: false closes the request body: a field too many is refused, unless refused by the service
        WireExchange extra = post("/things", "{\"name\":\"n\",\"nmae\":\"n\"}", 201, "{}");
        assertTrue(doc.problems(extra, false).toString().contains("validation.request.body.schema.additionalProperties"));
    }

    @Test
    void aRequestOutsideTheDocumentMustBeRefusedAsDocumentedOrAllowedWhereItIsSent() throws Exception {
        String wrong = "{\"name\":7}";
        assertEquals(List.of(), doc.problems(post("/things", wrong, 400, "{\"error\":\"name must be a string\"}"), false),
                "refused with the documented 400 and its Error");
        assertTrue(doc.problems(post("/things", wrong, 400, "{\"message\":\"bad\"}"), false).toString()
                .contains("validation.response.body.schema.required"), "the refusal is checked too");
        assertTrue(doc.problems(post("/things", wrong, 201, "{}"), false).toString().contains("and the service took it: 201"));
        assertEquals(List.of(), doc.problems(post("/things", wrong, 201, "{}"), true), "allowed where it is sent");
        assertEquals("lenient", OpenApiCheck.outsideTheDocument("lenient", OpenApiCheck::allowedOutside));
        assertEquals(null, OpenApiCheck.allowedOutside());
    }

    @Test
    void anUndocumentedPathOrMethodMayOnlyBeRefusedWithAJsonError() {
        assertEquals(List.of(), doc.problems(get("/nothing", 404, "{\"error\":\"not found\"}"), false));
        assertTrue(doc.problems(get("/nothing", 200, "{}"), false).toString().contains("not an operation of openapi.yaml, answered 200"));
        assertTrue(doc.problems(get("/nothing", 404, "not found", "text/plain"), false).toString().contains("not application/json"));
        WireExchange delete = new WireExchange("DELETE", "/things/a", Map.of(), new byte[0], 405,
                Map.of("content-type", List.of("application/json")), bytes("{\"err\":1}"));
        assertTrue(doc.problems(delete, false).toString().contains("components.schemas.Error"));
        WireExchange foo = new WireExchange("FOO", "/things/a", Map.of(), new byte[0], 501,
                Map.of("content-type", List.of("application/json")), bytes("{\"error\":\"x\"}"));
        assertTrue(doc.problems(foo, false).toString().contains("cannot be written as an OpenAPI request"));
    }

    @Test
    void aPathTheServerResolvesElsewhereIsNoOperationOfTheDocument() {
        // dot and empty segments, spaces, bad escapes: the server routes another path, or none
        for (String target : List.of("/things/..", "/things/%2e%2e", "/things//", "/things/a b", "/things/%zz", "*", "")) {
            WireExchange x = get(target, 200, "{\"id\":\"a\",\"count\":7}");
            assertTrue(doc.problems(x, false).toString().contains("not an operation of openapi.yaml"), target);
        }
    }

    @Test
    void theHttpLayersRefusalsAreTheDocumentsXHttpRefusals() {
        OpenApiCheck withRefusals = OpenApiCheck.of(SMALL.replace("paths:", "x-http-refusals: {statuses: [431, 501]}\npaths:"));
        assertEquals(List.of(), withRefusals.problems(get("/things/a", 431, "{\"error\":\"headers too large\"}"), false));
        assertEquals(List.of(), withRefusals.problems(get("/things/a", 501, ""), false));
        assertTrue(withRefusals.problems(get("/things/a", 431, "{\"e\":1}"), false).toString().contains("components.schemas.Error"));
        assertTrue(doc.problems(get("/things/a", 431, "{\"error\":\"headers too large\"}"), false).toString()
                .contains("validation.response.status.unknown"), "only what the document lists");
    }

    @Test
    void aRunnersEndpointsUnderRunnersEngineAreTheDocumentsRootOnes() {
        assertEquals(List.of(), doc.problems(get("/runners/burner-ffmpeg/things/a", 200, "{\"id\":\"a\",\"count\":7}"), false));
    }

    @Test
    void aStandInChecksOnlyTheRequestsOfDocumentedOperations() {
        WireExchange sent = new WireExchange("POST", "/things", Map.of("content-type", List.of("application/json")), bytes("{}"), 0, Map.of(), null);
        assertTrue(doc.requestProblems(sent).toString().contains("validation.request.body.schema.required"));
        WireExchange elsewhere = new WireExchange("PUT", "/bucket/key", Map.of(), null, 0, Map.of(), null);
        assertEquals(List.of(), doc.requestProblems(elsewhere));
    }

    @Test
    void theServicesDocumentRefusesAJobDocumentWithAMistypedField() {
        OpenApiCheck served = OpenApiCheck.served();
        String job = "{\"jobId\":\"job_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"mediaId\":\"m1\",\"engine\":\"burner-ffmpeg\",\"status\":\"running\","
                + "\"phase\":\"running\",\"progress\":0.5,\"outputKey\":null,\"outputAudioKey\":null,\"outputMetadataKey\":null,"
                + "\"outputs\":{},\"metadata\":null,\"error\":null,\"createdAt\":1,\"ts\":2,\"durationMs\":DURATION,\"attempts\":1,"
                + "\"runs\":1,\"timeline\":[],\"dispatch\":{\"accepted\":true,\"lastAttemptAt\":1,\"lastError\":null}}";
        assertEquals(List.of(), served.problems(get("/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", 200, job.replace("DURATION", "null")), false));
        String p = served.problems(get("/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", 200, job.replace("DURATION", "\"12\"")), false).toString();
        assertTrue(p.contains("/durationMs") && p.contains("schema.type") && p.contains("GET /jobs/{jobId}"), p);
    }

    private static WireExchange get(String target, int status, String body) {
        return get(target, status, body, "application/json");
    }

    private static WireExchange get(String target, int status, String body, String type) {
        return new WireExchange("GET", target, Map.of(), new byte[0], status, Map.of("content-type", List.of(type)), bytes(body));
    }

    private static WireExchange post(String target, String body, int status, String answer) {
        return new WireExchange("POST", target, Map.of("content-type", List.of("application/json")), bytes(body), status,
                Map.of("content-type", List.of("application/json")), bytes(answer));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
