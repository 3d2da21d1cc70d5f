package dev.mediaorchestrator;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Tracing settings, the OpenTelemetry SDK's own variable names: tracing is on only when
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} (or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}) is set; spans
 * go to that collector over OTLP/HTTP with protobuf (the one protocol exported here:
 * {@code OTEL_EXPORTER_OTLP_PROTOCOL} may only say {@code http/protobuf}).
 */
public final class TracingConfig {
    public static final TracingConfig OFF = new TracingConfig(null, Map.of(), null);

    /** Where spans are posted ({@code …/v1/traces}); null: tracing off. */
    public final URI tracesEndpoint;
    /** {@code OTEL_EXPORTER_OTLP_HEADERS}: e.g. a collector's API key. */
    public final Map<String, String> headers;
    /** {@code OTEL_SERVICE_NAME}; null: named after the process's roles. */
    public final String serviceName;

    private TracingConfig(URI tracesEndpoint, Map<String, String> headers, String serviceName) {
        this.tracesEndpoint = tracesEndpoint;
        this.headers = headers;
        this.serviceName = serviceName;
    }

    public boolean on() {
        return tracesEndpoint != null;
    }

    static TracingConfig fromEnv(Map<String, String> env) {
        String traces = Env.given(env, Settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
        String base = Env.given(env, Settings.OTEL_EXPORTER_OTLP_ENDPOINT);
        if (traces == null && base == null) {
            return OFF;
        }
        String protocol = Env.given(env, Settings.OTEL_EXPORTER_OTLP_PROTOCOL);
        if (protocol != null && !protocol.trim().toLowerCase(Locale.ROOT).equals(Settings.OTEL_EXPORTER_OTLP_PROTOCOL.value())) {
            throw new Config.ConfigException("OTEL_EXPORTER_OTLP_PROTOCOL: only http/protobuf is supported, got '" + protocol + "'");
        }
        URI endpoint = traces != null ? url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces)
                : url("OTEL_EXPORTER_OTLP_ENDPOINT", base.replaceAll("/+$", "") + "/v1/traces");
        Map<String, String> headers = new LinkedHashMap<>();
        String h = Env.given(env, Settings.OTEL_EXPORTER_OTLP_HEADERS);
        if (h != null) {
            for (String pair : h.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new Config.ConfigException("OTEL_EXPORTER_OTLP_HEADERS: key=value pairs separated by commas");
                }
                headers.put(pair.substring(0, eq).trim(), URLDecoder.decode(pair.substring(eq + 1).trim(), StandardCharsets.UTF_8));
            }
        }
        return new TracingConfig(endpoint, Map.copyOf(headers), Env.given(env, Settings.OTEL_SERVICE_NAME));
    }

    private static URI url(String name, String value) {
        try {
            URI u = URI.create(value.trim());
            if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                throw new IllegalArgumentException();
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new Config.ConfigException(name + ": an http(s) URL, got '" + value + "'");
        }
    }

    @Override
    public String toString() {
        return on() ? "tracing to " + tracesEndpoint : "tracing off";
    }
}
