package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.orchestrator.Engine;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.main.Main;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wires observability into the service: the beans and settings Camel Main picks up, and the
 * hooks of the orchestrator and runner parts. Routes: {@code common-observability.camel.yaml}
 * ({@code /metrics}, {@code /health/live}, {@code /health/ready}).
 */
public final class Observability {
    static final Duration BUCKET_CHECK_TIMEOUT = Duration.ofSeconds(5);
    static final Duration RUNNER_CHECK_TIMEOUT = Duration.ofSeconds(3);

    private Observability() {
    }

    /**
     * Every role: the registry as Camel's {@code metricsRegistry} (Camel's route policy records each
     * route's exchanges in it), the job id in the logging context of every exchange, the 429
     * counter, and Camel's health checks (context, routes, consumers, and the HealthCheck beans).
     */
    public static void bind(Main main, Metrics metrics) {
        main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, metrics.registry());
        main.bind("metrics", metrics);
        MicrometerRoutePolicyFactory routeMetrics = new MicrometerRoutePolicyFactory();
        routeMetrics.setMeterRegistry(metrics.registry());
        main.bind("micrometerRoutePolicyFactory", routeMetrics);
        main.bind("jobUnitOfWorkFactory", new JobUnitOfWorkFactory());
        main.bind("rateLimitedRequests", new RateLimitedRequests(metrics));
        main.bind("health", new HealthChecks());
        main.configure().health().setEnabled(true);
        main.configure().health().setExposureLevel("full");
    }

    /** The orchestrator: job gauges, output sizes for the summary line, readiness of the bucket and the runners. */
    public static void bindOrchestrator(Main main, Metrics metrics, Config config, Storage storage, JobStore jobs) {
        metrics.jobGauges(jobs, config.maxActiveJobs);
        metrics.outboxGauges(jobs, Clock.systemUTC());
        if (metrics.registry() != null) {
            QueueGauges.bind(metrics.registry(), jobs, Clock.systemUTC());
        }
        metrics.objectSizes(key -> storage.head(key).map(Storage.ObjectInfo::size));
        main.bind("bucketHealthCheck", new BucketHealthCheck(storage, BUCKET_CHECK_TIMEOUT));
        main.bind("runnersHealthCheck", new RunnersHealthCheck(runnerUrls(config), RUNNER_CHECK_TIMEOUT));
    }

    /** Each distinct configured runner base URL with the engines it serves (one runner may serve several). */
    public static Map<URI, List<String>> runnerUrls(Config config) {
        Map<URI, List<String>> runners = new LinkedHashMap<>();
        for (Engine e : Engine.values()) {
            URI base = config.runnerBaseUrl(e.id);
            if (base != null) {
                runners.computeIfAbsent(base, b -> new ArrayList<>()).add(e.id);
            }
        }
        return runners;
    }

    /** One runner role: its gauges and phase times, its readiness (work dir, {@code tools}). */
    public static void bindRunner(Main main, RunnerMetrics metrics, RunnerJobs jobs, RunnerConfig rc, List<String> tools) {
        metrics.runnerGauges(jobs);
        jobs.setMetrics(metrics);
        main.bind(jobs.engine() + "HealthCheck", new RunnerHealthCheck(jobs, rc.workDir, tools));
    }
}
