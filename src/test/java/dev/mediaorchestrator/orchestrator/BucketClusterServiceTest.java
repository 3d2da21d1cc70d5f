package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.support.Wait;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bucket cluster service under Camel as the service runs it: a {@code master:} route (retention)
 * runs on the leader only, and when the leader stops, the other replica's takes over.
 */
class BucketClusterServiceTest {
    private static DefaultCamelContext replica(StateObjects bucket, String id, AtomicInteger ticks) throws Exception {
        DefaultCamelContext context = new DefaultCamelContext();
        context.addService(new BucketClusterService(bucket, id, Clock.systemUTC(), 100, 1_000));
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("master:" + Shares.NAMESPACE + ":timer:retention?period=50").routeId("retention").process(e -> ticks.incrementAndGet());
            }
        });
        context.start();
        return context;
    }

    @Test
    void aMasterRouteRunsOnTheLeaderAndMovesWhenItStops() throws Exception {
        StateObjects bucket = StateObjects.inMemory();
        AtomicInteger onA = new AtomicInteger();
        AtomicInteger onB = new AtomicInteger();
        DefaultCamelContext a = replica(bucket, "replica-a", onA);
        try (DefaultCamelContext b = replica(bucket, "replica-b", onB)) {
            Wait.until("the first replica's route runs", Duration.ofSeconds(10), () -> onA.get() > 3);
            Thread.sleep(300);
            assertEquals(0, onB.get(), "the other's does not");
            a.stop(); // hands over: its lease is ended at once
            int before = onB.get();
            Wait.until("the other's route runs", Duration.ofSeconds(10), () -> onB.get() > before + 3);
            assertTrue(bucket.list("state/cluster/" + Shares.NAMESPACE + "/members/").stream()
                    .noneMatch(l -> l.key().endsWith("/replica-a")), "the stopped replica's heartbeat is gone");
        } finally {
            a.close();
        }
    }
}
