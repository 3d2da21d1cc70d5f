package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.JobContext;
import dev.mediaorchestrator.common.Tracing;
import org.slf4j.MDC;
import dev.mediaorchestrator.orchestrator.Job;
import dev.mediaorchestrator.runner.RunnerJob;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.impl.engine.DefaultUnitOfWork;
import org.apache.camel.spi.InflightRepository;
import org.apache.camel.spi.UnitOfWork;
import org.apache.camel.spi.UnitOfWorkFactory;

import java.util.Map;

/**
 * Camel's units of work with the job in the logging context: before each step of a route the
 * exchange's job id (if it has one) is put in the MDC, and it is removed after the step, so a log
 * line written by any step of any route - ours or Camel's - carries the job it is about, whatever
 * the thread (Vert.x workers, seda consumers, timers). Camel Main picks this factory up from the
 * registry.
 *
 * <p>Where the job id is: exchange property {@code jobId} (set when {@code POST /jobs} records a
 * job), property {@code runnerJob} (a runner's job), header {@code jobId} (path parameters such as
 * {@code /jobs/{jobId}}, {@code /artifacts/{jobId}}), or the body (a signed callback or
 * {@code /render} payload, a job read from the store).
 */
public final class JobUnitOfWorkFactory implements UnitOfWorkFactory {
    private InflightRepository inflightRepository;
    private boolean allowUseOriginalMessage;
    private boolean useBreadcrumb;

    @Override
    public UnitOfWork createUnitOfWork(Exchange exchange) {
        return new JobUnitOfWork(exchange, inflightRepository, allowUseOriginalMessage, useBreadcrumb);
    }

    @Override
    public void afterPropertiesConfigured(CamelContext camelContext) {
        inflightRepository = camelContext.getInflightRepository();
        allowUseOriginalMessage = Boolean.TRUE.equals(camelContext.isAllowUseOriginalMessage());
        useBreadcrumb = Boolean.TRUE.equals(camelContext.isUseBreadcrumb());
    }

    /** The job an exchange is about, or null. */
    static String jobIdOf(Exchange exchange) {
        if (exchange.getProperty(Names.JOB_ID) instanceof String s) {
            return s;
        }
        if (exchange.getProperty(Names.RUNNER_JOB) instanceof RunnerJob r) {
            return r.jobId;
        }
        Object body = exchange.getMessage().getBody();
        if (body instanceof Job j) {
            return j.jobId;
        }
        if (body instanceof RunnerJob r) {
            return r.jobId;
        }
        if (body instanceof Map<?, ?> m && m.get("jobId") instanceof String s) {
            return s;
        }
        return exchange.getMessage().getHeader("jobId") instanceof String s ? s : null;
    }

    static final class JobUnitOfWork extends DefaultUnitOfWork {
        JobUnitOfWork(Exchange exchange, InflightRepository inflight, boolean allowUseOriginalMessage, boolean useBreadcrumb) {
            super(exchange, inflight, allowUseOriginalMessage, useBreadcrumb);
        }

        @Override
        public boolean isBeforeAfterProcess() {
            return true;
        }

        @Override
        public AsyncCallback beforeProcess(Processor processor, Exchange exchange, AsyncCallback callback) {
            JobContext.set(jobIdOf(exchange));
            String traceId = Tracing.active().currentTraceId();
            if (traceId != null) {
                MDC.put(Tracing.MDC_KEY, traceId);
            }
            return super.beforeProcess(processor, exchange, callback);
        }

        @Override
        public void afterProcess(Processor processor, Exchange exchange, AsyncCallback callback, boolean doneSync) {
            super.afterProcess(processor, exchange, callback, doneSync);
            // nothing leaks to the thread once the step is done (it may go on with another exchange)
            JobContext.clear();
            MDC.remove(Tracing.MDC_KEY);
        }

        @Override
        public void done(Exchange exchange) {
            super.done(exchange);
            JobContext.clear();
        }
    }
}
