package dev.mediaorchestrator;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.Tracing;
import dev.mediaorchestrator.observability.Metrics;
import dev.mediaorchestrator.observability.Observability;
import dev.mediaorchestrator.observability.OtelTracing;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.main.Main;

import java.time.Clock;
import java.time.Duration;

/**
 * What every role has (common-*.camel.yaml): the settings, the shared secret, signed HTTP, the
 * OpenAPI document, metrics and health, tracing, the pools and the HTTP server. Some must be bound
 * before {@code main.init()} (Camel Main autowires them then: {@link #beforeInit}), some need the
 * context it makes ({@link #afterInit}).
 */
final class CommonBeans extends Beans {
    private final Config config;
    private final Clock clock = Clock.systemUTC();

    CommonBeans(Config config, Main main) {
        super(main);
        this.config = config;
    }

    /**
     * The secret first (a start without one off loopback stops here), then what Camel Main picks up
     * when it configures the context: route metrics, the job in the logs, health.
     */
    CommonBeans beforeInit() {
        signedHttp();
        openApi();
        Observability.bind(main, metrics());
        return this;
    }

    /** Once the context exists: tracing on it, the pools from it. */
    CommonBeans afterInit() {
        tracing();
        pools();
        return this;
    }

    Config config() {
        return part("config", () -> config);
    }

    Clock clock() {
        return clock;
    }

    /** The shared secret ({@code JOB_CALLBACK_HMAC_SECRET}, or the local one: {@link SecretStore}), and the previous one in a rotation. */
    Hmac hmac() {
        return part("hmac", () -> new Hmac(SecretStore.resolve(config)).withPrevious(config.secretPrevious));
    }

    SignedHttp signedHttp() {
        return part("signedHttp", () -> new SignedHttp(hmac()));
    }

    OpenApiDocument openApi() {
        return bound("openApi", OpenApiDocument::new);
    }

    /** Closed when the service stops, after the roles' beans. */
    Metrics metrics() {
        return part("metrics", () -> Metrics.prometheus(Duration.ofSeconds(config.jobTtlSeconds)));
    }

    /**
     * {@code OTEL_EXPORTER_OTLP_ENDPOINT}: Camel's OpenTelemetry tracer on the context (after
     * {@code main.init()}, before it starts), our spans around signed requests and transfers;
     * without the variable {@link Tracing#OFF}, and no class of OpenTelemetry is even loaded.
     */
    Tracing tracing() {
        return part("tracing", () -> {
            Tracing tracing = config.tracing.on() ? OtelTracing.start(config.tracing, serviceName(config), main) : Tracing.OFF;
            signedHttp().setTracing(tracing);
            return tracing;
        });
    }

    /** The beans' background pools: Camel's (named, shut down with the context). */
    Pools pools() {
        return part("pools", () -> Pools.of(main.getCamelContext()));
    }

    /**
     * platform-http's server, on {@code HOST}:{@code PORT}: JSON answers to requests the HTTP
     * decoder refuses ({@link JsonErrorsHttpServer}); a service of the context, started with it.
     */
    void httpServer() {
        VertxPlatformHttpServerConfiguration http = new VertxPlatformHttpServerConfiguration();
        http.setBindHost(config.host);
        http.setBindPort(config.port);
        http.setMaxBodySize(1024L * 1024L);
        try {
            main.getCamelContext().addService(new JsonErrorsHttpServer(http));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The service name of this process's spans (OTEL_SERVICE_NAME overrides it): its role, or the roles it runs. */
    static String serviceName(Config config) {
        if (config.roles.size() == 1) {
            return switch (config.roles.iterator().next()) {
                case "burner" -> "burner-ffmpeg";
                case "downloader" -> "media-downloader";
                default -> "media-orchestrator";
            };
        }
        return "media-orchestrator";
    }
}
