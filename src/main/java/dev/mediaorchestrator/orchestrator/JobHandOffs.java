package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Names;
import org.apache.camel.Endpoint;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Where {@link JobStore} hands jobs on: each version it learns to {@link Names#JOB_CHANGED}, each
 * job that became terminal to {@link Names#JOB_TERMINAL} (orchestrator-lifecycle.camel.yaml says
 * what follows). Without Camel (unit tests) a change goes to the steps the test plays instead.
 */
final class JobHandOffs {
    private static final Logger LOG = LoggerFactory.getLogger(JobHandOffs.class);
    /**
     * {@link Names#JOB_CHANGED}, synchronously: its steps only update memory (the dashboard's events
     * and listing, tracing), so a change is never lost or reordered and the writer waits for no I/O.
     * While Camel stops (no consumer) it is not handed on, at once: a {@code direct:} producer would
     * wait 30 s for one.
     */
    static final String CHANGED = Names.JOB_CHANGED + "?block=false&failIfNoConsumers=false";
    /**
     * {@link Names#JOB_TERMINAL}: a queue of at most 1000 (seda's), dropped when full. It only starts
     * the terminal callback and the next dispatch sooner; their timers do both anyway.
     */
    static final String TERMINAL = Names.JOB_TERMINAL + "?discardWhenFull=true";

    /** The routes' endpoints; null: nowhere (unit tests without Camel). */
    private final ProducerTemplate routes;
    private final Endpoint changed;
    private final Endpoint terminal;
    /** A store made without Camel hands its changes here: the test plays the {@code job-changed} route's steps. */
    private volatile Consumer<Job> changedWithoutRoutes = job -> { };

    JobHandOffs(ProducerTemplate routes) {
        this.routes = routes;
        this.changed = routes == null ? null : routes.getCamelContext().getEndpoint(CHANGED);
        this.terminal = routes == null ? null : routes.getCamelContext().getEndpoint(TERMINAL);
    }

    /** Tests without Camel: what the {@code job-changed} route would do with each version. */
    void changesTo(Consumer<Job> steps) {
        this.changedWithoutRoutes = steps;
    }

    /** A version of a job the store learned (created, changed here, read from the bucket; the same one may come twice). */
    void changed(Job job) {
        if (routes == null) {
            changedWithoutRoutes.accept(job);
        } else {
            send(changed, job);
        }
    }

    /** A job the store's write made terminal. */
    void terminal(Job job) {
        if (routes == null) {
            changedWithoutRoutes.accept(job); // without Camel the same steps see it again (the change just told)
        } else {
            send(terminal, job);
        }
    }

    /**
     * The job sent to a route. A route's unit of work leaves no job id in the logging context of the
     * thread when it is done: the writer's own (its job id, its trace id) is put back.
     */
    private void send(Endpoint endpoint, Job job) {
        Map<String, String> context = MDC.getCopyOfContextMap();
        try {
            routes.sendBody(endpoint, job);
        } catch (RuntimeException e) {
            LOG.debug("handing job {} to {} failed: {}", job.jobId, endpoint, e.toString());
        } finally {
            if (context == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(context);
            }
        }
    }
}
