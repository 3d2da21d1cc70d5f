package dev.mediaorchestrator.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/**
 * How the orchestrator's and the runners' meters are made, so that both name theirs the same way
 * ({@link Metrics#PREFIX}, {@code .bytes} counters in bytes), and the stream that counts the bytes
 * read through it.
 */
final class Meters {
    private Meters() {
    }

    static Counter counter(MeterRegistry registry, String name, String... tags) {
        return Counter.builder(Metrics.PREFIX + name).tags(tags).register(registry);
    }

    static Counter bytes(MeterRegistry registry, String name, String... tags) {
        return Counter.builder(Metrics.PREFIX + name + ".bytes").baseUnit("bytes").tags(tags).register(registry);
    }

    /** One attempt of a callback ({@code target}: app or orchestrator), and its failure. */
    static void callback(MeterRegistry registry, String target, String engine, boolean ok) {
        counter(registry, "callback.attempts", "target", target, "engine", engine).increment();
        if (!ok) {
            counter(registry, "callback.failures", "target", target, "engine", engine).increment();
        }
    }

    /** {@code in}, telling {@code sink} how many bytes each read returned (skipped bytes are not streamed). */
    static InputStream counting(InputStream in, LongConsumer sink) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    sink.accept(1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    sink.accept(n);
                }
                return n;
            }

            @Override
            public long skip(long n) throws IOException {
                return super.skip(n); // skipped bytes are not streamed
            }
        };
    }
}
