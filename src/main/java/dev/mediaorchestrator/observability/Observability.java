package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.main.Main;

import java.util.List;

/**
 * Wires observability into the service: the beans and settings Camel Main picks up, and the
 * hooks of the orchestrator and runner parts. Route: {@code common-observability.camel.yaml}
 * ({@code /metrics}).
 */
public final class Observability {
    private Observability() {
    }

    /**
     * Every role: the registry as Camel's {@code metricsRegistry} (Camel's route policy records each
     * route's exchanges in it), the job id in the logging context of every exchange, the 429
     * counter.
     */
    public static void bind(Main main, Metrics metrics) {
        main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, metrics.registry());
        main.bind("metrics", metrics);
        MicrometerRoutePolicyFactory routeMetrics = new MicrometerRoutePolicyFactory();
        routeMetrics.setMeterRegistry(metrics.registry());
        main.bind("micrometerRoutePolicyFactory", routeMetrics);
        main.bind("jobUnitOfWorkFactory", new JobUnitOfWorkFactory());
        main.bind("rateLimitedRequests", new RateLimitedRequests(metrics));
    }

    /** The orchestrator: job gauges, output sizes for the summary line. */
    public static void bindOrchestrator(Main main, Metrics metrics, Config config, Storage storage, JobStore jobs) {
        metrics.jobGauges(jobs, config.maxActiveJobs);
        metrics.objectSizes(key -> storage.head(key).map(Storage.ObjectInfo::size));
    }

    /** One runner role: its gauges and phase times. */
    public static void bindRunner(Main main, Metrics metrics, RunnerJobs jobs, RunnerConfig rc, List<String> tools) {
        metrics.runnerGauges(jobs);
        jobs.setMetrics(metrics);
    }
}
