package dev.mediaorchestrator.common;

import java.util.function.BiConsumer;

/**
 * Tracing as the service's code sees it, without OpenTelemetry's types: a job's trace context
 * ({@code traceparent}) kept by job id, spans around work that Camel does not see itself (an outgoing
 * signed request, an upload), and the current trace id for the logs. {@link #OFF}, the default, does
 * nothing and loads nothing: tracing costs nothing unless {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set
 * (then {@code observability.OtelTracing} is the implementation).
 *
 * <p>Spans of Camel's own exchanges (HTTP requests in, routes, seda, exec) come from Camel's
 * OpenTelemetry support; a span made here is a child of the current one (the Camel span of the
 * exchange the thread works on) or, on a thread with no span (timers, executors), of the trace of
 * the job the thread works for ({@link JobContext}), so that work done minutes later, by another
 * replica or after a restart, joins the job's trace.
 */
public class Tracing implements AutoCloseable {
    public static final Tracing OFF = new Tracing();
    public static final String MDC_KEY = "traceId";
    private static volatile Tracing active = OFF;

    protected Tracing() {
    }

    /** The tracing of this process (the last one started), for code that has no reference to it (the logging context). */
    public static Tracing active() {
        return active;
    }

    protected static void activate(Tracing t) {
        active = t;
    }

    protected static void deactivate(Tracing t) {
        if (active == t) {
            active = OFF;
        }
    }

    public boolean on() {
        return false;
    }

    /** The W3C {@code traceparent} of the current span, or null (none, or tracing off). */
    public String currentTraceparent() {
        return null;
    }

    /** The trace id of the current span, or null. */
    public String currentTraceId() {
        return null;
    }

    /** Keeps a job's trace context (from its record, or the request that started it) for the work done for it later. */
    public void remember(String jobId, String traceparent, String mediaId, String engine) {
    }

    /** The trace context kept for a job, or null. */
    public String traceparentOf(String jobId) {
        return null;
    }

    /** Puts the job's identity ({@code jobId}, {@code mediaId}, {@code engine}) on the current span. */
    public void annotate(String jobId, String mediaId, String engine) {
    }

    /** The current span's work failed: its status is an error with this description. */
    public void failed(String description) {
    }

    /** A span's handle for the work in it: the headers that carry it to another process, and what came of it. */
    public interface SpanHandle {
        SpanHandle NOOP = new SpanHandle() {
        };

        /** The propagation headers ({@code traceparent}) of this span, for an outgoing request. */
        default void headers(BiConsumer<String, String> into) {
        }

        default void attribute(String key, long value) {
        }

        /** The work failed (the span's status is an error with this description). */
        default void failed(String description) {
        }
    }

    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run(SpanHandle span) throws E;
    }

    /**
     * Runs {@code work} in a span {@code name} (a client span when {@code client}: a request to
     * another process), child of the current span or of the trace of the thread's job. An exception
     * ends the span as an error and goes on. Off: just runs the work.
     */
    public <T, E extends Exception> T inSpan(String name, boolean client, Work<T, E> work) throws E {
        return work.run(SpanHandle.NOOP);
    }

    @Override
    public void close() {
    }
}
