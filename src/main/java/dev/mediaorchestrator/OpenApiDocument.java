package dev.mediaorchestrator;

import dev.mediaorchestrator.common.Json;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code GET /openapi.yaml} and {@code /openapi.json}: the OpenAPI 3 document of every endpoint of
 * every role, written by hand ({@code src/main/resources/openapi.yaml}: the REST DSL would take the
 * raw-body signature check and the streaming of /upload, /artifacts and /inputs away from
 * platform-http). {@code OpenApiTest} keeps it equal to what the routes serve.
 */
public final class OpenApiDocument {
    private final String yaml;
    private final String json;

    public OpenApiDocument() {
        try (InputStream in = OpenApiDocument.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is not on the classpath");
            }
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(yaml);
        json = Json.write(tree);
    }

    public String yaml() {
        return yaml;
    }

    public String json() {
        return json;
    }
}
