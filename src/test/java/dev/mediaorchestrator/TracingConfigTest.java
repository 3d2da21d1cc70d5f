package dev.mediaorchestrator;

import dev.mediaorchestrator.common.Tracing;
import dev.mediaorchestrator.observability.OtelTracing;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tracing is off, and nothing of OpenTelemetry is started, unless OTEL_EXPORTER_OTLP_ENDPOINT (or the
 * traces endpoint) is set; the SDK's variable names and defaults otherwise; a value we cannot honour
 * stops the start naming the variable.
 */
class TracingConfigTest {
    @Test
    void offWithoutAnEndpointAndNothingStarts() {
        TracingConfig off = TracingConfig.fromEnv(Map.of("OTEL_SERVICE_NAME", "x", "OTEL_EXPORTER_OTLP_ENDPOINT", " "));
        assertFalse(off.on());
        assertSame(TracingConfig.OFF, off);
        assertSame(Tracing.OFF, OtelTracing.start(off, "media-orchestrator", null), "no SDK, no Camel tracer");
        Tracing t = Tracing.OFF;
        assertNull(t.currentTraceparent());
        assertEquals("done", t.inSpan("x", true, span -> "done"));
    }

    @Test
    void theSdksVariables() {
        TracingConfig c = TracingConfig.fromEnv(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/",
                "OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc%3D1,x=y", "OTEL_SERVICE_NAME", "orchestrator-eu"));
        assertTrue(c.on());
        assertEquals("http://collector:4318/v1/traces", c.tracesEndpoint.toString());
        assertEquals(Map.of("api-key", "abc=1", "x", "y"), c.headers);
        assertEquals("orchestrator-eu", c.serviceName);
        TracingConfig traces = TracingConfig.fromEnv(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b/otlp/traces", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"));
        assertEquals("https://b/otlp/traces", traces.tracesEndpoint.toString(), "the traces endpoint is taken as it is");
    }

    @Test
    void whatCannotBeHonouredStopsTheStart() {
        for (var bad : Map.of("OTEL_EXPORTER_OTLP_PROTOCOL", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
                "OTEL_EXPORTER_OTLP_ENDPOINT", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
                "OTEL_EXPORTER_OTLP_HEADERS", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318", "OTEL_EXPORTER_OTLP_HEADERS", "novalue")).entrySet()) {
            var e = assertThrows(Config.ConfigException.class, () -> TracingConfig.fromEnv(bad.getValue()));
            assertTrue(e.getMessage().startsWith(bad.getKey() + ":"), e.getMessage());
        }
    }
}
