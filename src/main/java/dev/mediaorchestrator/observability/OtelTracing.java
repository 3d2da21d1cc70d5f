package dev.mediaorchestrator.observability;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.TracingConfig;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * {@link Tracing} on the OpenTelemetry SDK, started only when {@code OTEL_EXPORTER_OTLP_ENDPOINT} is
 * set: spans are batched to the collector over OTLP/HTTP (protobuf, the JDK's HTTP client). Camel's
 * own support ({@code camel-opentelemetry2}) traces every exchange: a request in continues the
 * caller's {@code traceparent}, and routes, {@code seda:} hand-offs and {@code exec:} tools (ffprobe,
 * ffmpeg, yt-dlp) are spans of it. Timers, {@code /metrics}, health probes and the job store's
 * hand-offs ({@code direct:job-changed}, {@code seda:job-terminal}: every change of every job) are
 * not traced (they would be a trace every few seconds). This class adds what Camel does not see:
 * the job's trace kept by job id, and spans around our own outgoing requests and transfers.
 */
public final class OtelTracing extends Tracing {
    /** Endpoints Camel does not trace (EndpointHelper patterns). */
    static final String EXCLUDED = "timer:*,platform-http:*metrics*,platform-http:*health*,platform-http:*healthz*,direct:respond-json*,"
            + Names.JOB_CHANGED + "*," + Names.JOB_TERMINAL + "*";
    private static final AttributeKey<String> JOB_ID = AttributeKey.stringKey("jobId");
    private static final AttributeKey<String> MEDIA_ID = AttributeKey.stringKey("mediaId");
    private static final AttributeKey<String> ENGINE = AttributeKey.stringKey("engine");
    private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private record JobTrace(String traceparent, String traceId, String mediaId, String engine) {
    }

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;
    private final ContextPropagators propagators = ContextPropagators.create(W3CTraceContextPropagator.getInstance());
    private final Cache<String, JobTrace> jobs = Caffeine.newBuilder().expireAfterAccess(Duration.ofDays(1)).maximumSize(100_000).build();

    private OtelTracing(TracingConfig config, String serviceName) {
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder().setEndpoint(config.tracesEndpoint.toString());
        config.headers.forEach(exporter::addHeader);
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), serviceName))))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter.build()).setScheduleDelay(Duration.ofSeconds(2)).build())
                .build();
        sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).setPropagators(propagators).build();
        tracer = sdk.getTracer("media-orchestrator");
    }

    /**
     * Tracing for this process: {@link Tracing#OFF} when no endpoint is configured (nothing of
     * OpenTelemetry is loaded), else the SDK, with Camel's tracer installed on the context of
     * {@code main} (after {@code main.init()}, before it starts).
     */
    public static Tracing start(TracingConfig config, String serviceName, Main main) {
        if (!config.on()) {
            return Tracing.OFF;
        }
        OtelTracing t = new OtelTracing(config, config.serviceName != null ? config.serviceName : serviceName);
        CamelContext camel = main.getCamelContext();
        camel.getRegistry().bind("openTelemetryApiTracer", Tracer.class, t.tracer);
        camel.getRegistry().bind("openTelemetryPropagators", ContextPropagators.class, t.propagators);
        OpenTelemetryTracer camelTracer = new OpenTelemetryTracer();
        camelTracer.setExcludePatterns(EXCLUDED);
        camelTracer.init(camel);
        activate(t);
        return t;
    }

    @Override
    public boolean on() {
        return true;
    }

    private static String traceparent(SpanContext c) {
        return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
    }

    @Override
    public String currentTraceparent() {
        SpanContext c = Span.current().getSpanContext();
        return c.isValid() ? traceparent(c) : null;
    }

    @Override
    public String currentTraceId() {
        SpanContext c = Span.current().getSpanContext();
        return c.isValid() ? c.getTraceId() : null;
    }

    @Override
    public void remember(String jobId, String traceparent, String mediaId, String engine) {
        if (jobId == null || traceparent == null) {
            return;
        }
        SpanContext c = Span.fromContext(extract(traceparent)).getSpanContext();
        if (c.isValid()) {
            jobs.put(jobId, new JobTrace(traceparent, c.getTraceId(), mediaId, engine));
        }
    }

    @Override
    public String traceparentOf(String jobId) {
        JobTrace t = jobId == null ? null : jobs.getIfPresent(jobId);
        return t == null ? null : t.traceparent;
    }

    @Override
    public void annotate(String jobId, String mediaId, String engine) {
        Span s = Span.current();
        if (s.getSpanContext().isValid()) {
            setIdentity(s::setAttribute, jobId, mediaId, engine);
        }
    }

    @Override
    public void failed(String description) {
        Span s = Span.current();
        if (s.getSpanContext().isValid()) {
            s.setStatus(StatusCode.ERROR, description);
        }
    }

    private interface AttributeSink {
        void set(AttributeKey<String> key, String value);
    }

    private static void setIdentity(AttributeSink sink, String jobId, String mediaId, String engine) {
        if (jobId != null) {
            sink.set(JOB_ID, jobId);
        }
        if (mediaId != null) {
            sink.set(MEDIA_ID, mediaId);
        }
        if (engine != null) {
            sink.set(ENGINE, engine);
        }
    }

    private Context extract(String traceparent) {
        return propagators.getTextMapPropagator().extract(Context.root(), Map.of("traceparent", traceparent), MAP_GETTER);
    }

    /**
     * The parent of a new span: the current span when it belongs to the job's trace (or the thread
     * works for no known job), else the job's kept context — a poll or a timer that happens to
     * deliver a job's callback does not pull it into its own trace.
     */
    private Context parent(JobTrace job) {
        SpanContext current = Span.current().getSpanContext();
        if (job == null || current.isValid() && current.getTraceId().equals(job.traceId)) {
            return Context.current();
        }
        return extract(job.traceparent);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T, E extends Exception> T inSpan(String name, boolean client, Work<T, E> work) throws E {
        String jobId = JobContext.current();
        JobTrace job = jobId == null ? null : jobs.getIfPresent(jobId);
        SpanBuilder b = tracer.spanBuilder(name).setParent(parent(job)).setSpanKind(client ? SpanKind.CLIENT : SpanKind.INTERNAL);
        setIdentity(b::setAttribute, jobId, job == null ? null : job.mediaId, job == null ? null : job.engine);
        Span span = b.startSpan();
        String previousTraceId = MDC.get(MDC_KEY);
        try (Scope ignored = span.makeCurrent()) {
            MDC.put(MDC_KEY, span.getSpanContext().getTraceId());
            return work.run(new SpanHandle() {
                @Override
                public void headers(BiConsumer<String, String> into) {
                    propagators.getTextMapPropagator().inject(Context.current().with(span), into, (carrier, k, v) -> carrier.accept(k, v));
                }

                @Override
                public void attribute(String key, long value) {
                    span.setAttribute(key, value);
                }

                @Override
                public void failed(String description) {
                    span.setStatus(StatusCode.ERROR, description);
                }
            });
        } catch (Exception | Error e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            if (e instanceof Error err) {
                throw err;
            }
            throw (E) e;
        } finally {
            span.end();
            if (previousTraceId == null) {
                MDC.remove(MDC_KEY);
            } else {
                MDC.put(MDC_KEY, previousTraceId);
            }
        }
    }

    /** Flushes the spans not yet sent (a stop waits for them up to 10 s). */
    @Override
    public void close() {
        deactivate(this);
        sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
        sdk.shutdown().join(10, TimeUnit.SECONDS);
    }
}
