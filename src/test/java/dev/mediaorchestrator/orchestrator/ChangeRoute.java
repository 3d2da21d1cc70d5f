package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Pools;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The job store's change hand-off ({@link Names#JOB_CHANGED}) for unit tests, as the service has it
 * in orchestrator-lifecycle.camel.yaml: a Camel context whose route gives every version a store
 * learns to the beans given to {@link #to}.
 */
final class ChangeRoute implements AutoCloseable {
    private final CamelContext camel = new DefaultCamelContext();
    private final List<Consumer<Job>> steps = new CopyOnWriteArrayList<>();

    ChangeRoute() throws Exception {
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(Names.JOB_CHANGED).process(e -> steps.forEach(s -> s.accept(e.getMessage().getBody(Job.class))));
            }
        });
        camel.start();
    }

    /** A store whose changes take this route. */
    JobStore store(Duration ttl, StateObjects objects, Hmac hmac, Clock clock) {
        return new JobStore(ttl, objects, hmac, clock, Pools.PLAIN, camel.createProducerTemplate());
    }

    /** A step of the route (e.g. {@code listing::learn}). */
    ChangeRoute to(Consumer<Job> step) {
        steps.add(step);
        return this;
    }

    @Override
    public void close() {
        camel.stop();
    }
}
