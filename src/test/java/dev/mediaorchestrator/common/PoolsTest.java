package dev.mediaorchestrator.common;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;

import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolsTest {
    @Test
    void camelPoolsAreNamedAndEndWithTheContext() throws Exception {
        DefaultCamelContext context = new DefaultCamelContext();
        context.start();
        ExecutorService fixed = Pools.of(context).fixed("state-load", 2);
        ExecutorService cached = Pools.of(context).cached("runner-callback");
        String name = fixed.submit(() -> Thread.currentThread().getName()).get();
        assertTrue(name.matches("Camel \\(.*\\) thread #\\d+ - state-load"), name);
        assertTrue(cached.submit(() -> Thread.currentThread().getName()).get().endsWith(" - runner-callback"));
        context.stop();
        assertTrue(fixed.isShutdown() && cached.isShutdown(), "shut down with the context");
    }

    @Test
    void plainPoolsAreNamedDaemons() throws Exception {
        ExecutorService pool = Pools.PLAIN.fixed("job-listing", 1);
        try {
            assertTrue(pool.submit(() -> Thread.currentThread().isDaemon() && Thread.currentThread().getName().equals("job-listing")).get());
        } finally {
            pool.shutdownNow();
        }
    }
}
