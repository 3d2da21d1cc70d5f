package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.support.Wait;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The job store hands a job on through the routes' endpoints ({@link Names#JOB_CHANGED},
 * {@link Names#JOB_TERMINAL}), not through listeners: here a Camel context whose routes on those
 * endpoints record what they get.
 */
class JobStoreHandOffTest {
    private final CamelContext camel = new DefaultCamelContext();
    private final List<String> terminal = new CopyOnWriteArrayList<>();
    private final List<String> changed = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        camel.close();
    }

    private JobStore store(boolean clearsTheLoggingContext) throws Exception {
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(Names.JOB_TERMINAL).process(e -> terminal.add(e.getMessage().getBody(Job.class).jobId + ":"
                        + e.getMessage().getBody(Job.class).status));
                from(Names.JOB_CHANGED).routeId("changed").process(e -> {
                    Job j = e.getMessage().getBody(Job.class);
                    changed.add(j.status + " " + j.progress);
                    if (clearsTheLoggingContext) {
                        MDC.clear(); // as a route's unit of work does when it is done (JobUnitOfWorkFactory)
                    }
                });
            }
        });
        camel.start();
        ProducerTemplate routes = camel.createProducerTemplate();
        return new JobStore(Duration.ofMinutes(1), StateObjects.inMemory(), new Hmac("unit-test-secret"), Clock.systemUTC(), Pools.PLAIN, routes);
    }

    private static Job job(String id) {
        return new Job(id, "m1", Engine.BURNER, Map.of(), 1000, "n");
    }

    private static void progress(JobStore store, String jobId, double p) {
        store.transition(jobId, j -> {
            Job.Draft d = j.draft();
            d.progress = p;
            return d.build();
        });
    }

    private static void end(JobStore store, String jobId, String status) {
        store.transition(jobId, j -> {
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, status, "boom", 2000);
            return d.build();
        });
    }

    @Test
    void aJobThatBecameTerminalIsHandedToItsEndpointOnceAndOnlyThen() throws Exception {
        JobStore store = store(false);
        Job job = job("job_cccccccccccccccccccccccccc");
        store.create(job);
        progress(store, job.jobId, 0.5);
        Thread.sleep(200); // seda: a hand-off would have arrived by now
        assertEquals(List.of(), terminal, "not terminal yet");
        end(store, job.jobId, "failed");
        Wait.until("the hand-off", Duration.ofSeconds(10), () -> !terminal.isEmpty());
        assertEquals(List.of("job_cccccccccccccccccccccccccc:failed"), terminal);
        end(store, job.jobId, "canceled");
        Thread.sleep(200);
        assertEquals(1, terminal.size(), "a terminal job is final: no second end");
    }

    @Test
    void everyVersionIsHandedToTheChangeEndpointInOrderBeforeTheWriterGoesOn() throws Exception {
        JobStore store = store(false);
        Job job = job("job_dddddddddddddddddddddddddd");
        store.create(job);
        progress(store, job.jobId, 0.25);
        progress(store, job.jobId, 0.5);
        assertEquals(List.of("queued 0.0", "queued 0.25", "queued 0.5"), changed, "synchronous: nothing lost, nothing reordered");
    }

    @Test
    void theWritersLoggingContextSurvivesTheHandOff() throws Exception {
        JobStore store = store(true);
        Job job = job("job_eeeeeeeeeeeeeeeeeeeeeeeeee");
        JobContext.set(job.jobId);
        MDC.put("traceId", "4bf92f3577b34da6a3ce929d0e0e4736");
        try {
            store.create(job);
            progress(store, job.jobId, 0.5);
            assertEquals(job.jobId, JobContext.current(), "the job id is still in the writer's log lines");
            assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", MDC.get("traceId"));
        } finally {
            MDC.clear();
        }
    }

    @Test
    void whileCamelStopsAChangeIsNotHandedOnAndNothingWaits() throws Exception {
        JobStore store = store(false);
        Job job = job("job_ffffffffffffffffffffffffff");
        store.create(job);
        camel.getRouteController().stopRoute("changed");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> progress(store, job.jobId, 0.5),
                "a direct: producer without a consumer waits 30 s by default");
        assertEquals(0.5, store.get(job.jobId).orElseThrow().progress, "the change itself is written");
    }
}
