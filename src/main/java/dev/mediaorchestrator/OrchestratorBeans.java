package dev.mediaorchestrator;

import dev.mediaorchestrator.common.RateLimiter;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.common.SignedRequests;
import dev.mediaorchestrator.dashboard.DashboardAccess;
import dev.mediaorchestrator.dashboard.DashboardApi;
import dev.mediaorchestrator.dashboard.JobEvents;
import dev.mediaorchestrator.observability.Observability;
import dev.mediaorchestrator.observability.SegmentMetrics;
import dev.mediaorchestrator.orchestrator.ActiveIndex;
import dev.mediaorchestrator.orchestrator.Artifacts;
import dev.mediaorchestrator.orchestrator.CompletionCheck;
import dev.mediaorchestrator.orchestrator.Dispatcher;
import dev.mediaorchestrator.orchestrator.JobEndings;
import dev.mediaorchestrator.orchestrator.JobListing;
import dev.mediaorchestrator.orchestrator.JobRetention;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.orchestrator.JobTraces;
import dev.mediaorchestrator.orchestrator.JobsApi;
import dev.mediaorchestrator.orchestrator.Lifecycle;
import dev.mediaorchestrator.orchestrator.LocalApp;
import dev.mediaorchestrator.orchestrator.Mirror;
import dev.mediaorchestrator.orchestrator.ReplayStore;
import dev.mediaorchestrator.orchestrator.RunnerReports;
import dev.mediaorchestrator.orchestrator.SegmentedBurns;
import dev.mediaorchestrator.orchestrator.TaskCallbacks;
import dev.mediaorchestrator.orchestrator.Shares;
import dev.mediaorchestrator.orchestrator.StateObjects;
import dev.mediaorchestrator.orchestrator.TerminalCallbacks;
import dev.mediaorchestrator.orchestrator.TransferUrls;
import dev.mediaorchestrator.orchestrator.UploadJanitor;
import dev.mediaorchestrator.orchestrator.Uploads;
import dev.mediaorchestrator.storage.EmbeddedFiles;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The orchestrator role's beans (orchestrator-*.camel.yaml, local-app.camel.yaml), one method each,
 * named as the routes' {@code ref}. {@link #bindAll} makes them before Camel starts;
 * {@link #started} does what needs the started service.
 */
final class OrchestratorBeans extends Beans {
    private static final Logger LOG = LoggerFactory.getLogger(OrchestratorBeans.class);
    /** Signed JSON bodies larger than this are refused with 413. */
    static final int MAX_SIGNED_BODY = 256 * 1024;

    private final CommonBeans common;
    private final Config config;
    private final Duration ttl;
    /** The embedded store while it starts (no {@code R2_S3_ENDPOINT}); null with an S3 endpoint. */
    private EmbeddedS3.Starting embeddedStart;
    private EmbeddedS3 embedded;
    /** When this start began: what the store holds half-written from before it was left by a dead process. */
    private final Instant createdAt;

    OrchestratorBeans(CommonBeans common, Main main) {
        super(main);
        this.common = common;
        this.config = common.config();
        this.ttl = Duration.ofSeconds(config.jobTtlSeconds);
        this.createdAt = common.clock().instant();
    }

    /** Every bean of the role, bound; the properties of its timers. */
    OrchestratorBeans bindAll() {
        jobStore();
        jobsCache();
        activeIndex();
        jobRetention();
        replayStore();
        uploadJanitor();
        signedRequests();
        jobsApi();
        jobsRateLimiter();
        mirror();
        dispatcher();
        jobEndings();
        completionCheck();
        runnerReports();
        lifecycle();
        taskCallbacks();
        terminalCallbacks();
        artifacts();
        uploads();
        Observability.bindOrchestrator(main, common.metrics(), config, storage(), jobStore());
        jobListing();
        dashboardAccess();
        dashboardApi();
        jobEvents();
        jobTraces();
        if (config.localApp) {
            localApp();
            LOG.info("local mode: media from {}, callbacks to {}", config.mediaDir.toAbsolutePath(),
                    config.dataDir.resolve("callbacks.jsonl").toAbsolutePath());
        }
        routeProperties(routeProperties(config));
        return this;
    }

    /** The timers' periods (orchestrator-lifecycle.camel.yaml). */
    static Map<String, String> routeProperties(Config config) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("completion.pollMs", String.valueOf(config.completionPollIntervalMs));
        p.put("state.syncMs", String.valueOf(Math.max(1000, Math.min(5000, config.completionPollIntervalMs * 2))));
        p.put("state.retentionMs", String.valueOf(Math.max(60_000, Math.min(600_000, config.jobTtlSeconds * 100))));
        return p;
    }

    /**
     * The bucket: {@code R2_S3_ENDPOINT}, or the embedded store, started in the background while
     * Camel starts ({@link #started} awaits it) with credentials derived from the secret, so that
     * presigned URLs stay valid across a restart.
     */
    Storage storage() {
        return part("storage", () -> {
            Storage storage;
            if (config.s3Endpoint != null) {
                storage = new Storage(config.s3Endpoint, config.s3PublicEndpoint, config.s3AccessKeyId, config.s3SecretAccessKey,
                        config.region, config.bucket);
            } else {
                String accessKey = "local-" + common.hmac().sign("embedded-s3-access-key").substring(0, 16);
                embeddedStart = EmbeddedS3.starting(config.embeddedS3Dir, config.embeddedS3Port, accessKey,
                        common.hmac().sign("embedded-s3-secret-key"));
                storage = new Storage(embeddedStart.endpoint(), embeddedStart.accessKey(), embeddedStart.secretKey(), config.region,
                        config.bucket);
            }
            storage.retryFor(Duration.ofSeconds(config.storeRetrySeconds));
            return storage;
        });
    }

    /** This replica's id, kept in {@code DATA_DIR/instance-id}: its jobs' owner, its callback leases. */
    String instanceId() {
        return part("instanceId", () -> InstanceId.resolve(config.dataDir));
    }

    /** Membership and leadership ({@code CLUSTER_SERVICE}); started with the context, where the {@code master:} routes find it. */
    CamelClusterService cluster() {
        return part("cluster", () -> {
            CamelClusterService cluster = Cluster.service(config, StateObjects.of(storage()), instanceId(), common.clock());
            try {
                main.getCamelContext().addService(cluster);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return cluster;
        });
    }

    /** Which jobs this replica works and whether it leads; its view is attached once the bucket answers ({@link #started}). */
    Shares shares() {
        return part("shares", () -> Shares.member(config.clusterService == Config.ClusterService.KUBERNETES ? config.podName : instanceId()));
    }

    /** The one writer of job state; it hands jobs to direct:job-changed and seda:job-terminal. */
    JobStore jobStore() {
        return bound("jobStore", () -> {
            JobStore jobs = closedAtStop(new JobStore(ttl, StateObjects.of(storage()), common.hmac(), common.clock(), common.pools(),
                    main.getCamelContext().createProducerTemplate()));
            jobs.setMetrics(common.metrics());
            cluster();
            jobs.setShares(shares());
            return jobs;
        });
    }

    /** The read cache of {@code GET /jobs/{id}} (camel-caffeine's {@code caffeine-loadcache:jobs}). */
    Object jobsCache() {
        return bound("jobs", () -> jobStore().cache());
    }

    /** The active index as this replica knows it: its sync timer ({@code state-sync-timer}), the recovery at start. */
    ActiveIndex activeIndex() {
        return bound("activeIndex", () -> jobStore().index());
    }

    /** The retention of job records ({@code state-retention-timer}). */
    JobRetention jobRetention() {
        return bound("jobRetention", () -> jobStore().retention());
    }

    ReplayStore replayStore() {
        return bound("replayStore", () -> new ReplayStore(StateObjects.of(storage()), common.clock(), ttl));
    }

    UploadJanitor uploadJanitor() {
        // the embedded store's directory is ours: its half-written single PUTs are swept too
        return bound("uploadJanitor", () -> new UploadJanitor(storage(), common.clock(),
                config.s3Endpoint == null ? new EmbeddedFiles(config.embeddedS3Dir, config.bucket) : null));
    }

    SignedRequests signedRequests() {
        return bound("signedRequests", () -> new SignedRequests(common.hmac(), common.clock(), MAX_SIGNED_BODY, true));
    }

    /** Signatures and nonces accepted in this process (12 minutes); the bucket's {@link #replayStore} is every replica's. */
    ReplayCache replay() {
        return part("replay", () -> new ReplayCache(Duration.ofMinutes(ReplayStore.SHORT_MINUTES)));
    }

    JobsApi jobsApi() {
        return bound("jobsApi", () -> {
            ReplayCache idempotency = new ReplayCache(ttl);
            JobsApi api = new JobsApi(jobStore(), replay(), idempotency, replayStore(), common.clock());
            api.setTracing(common.tracing());
            return api;
        });
    }

    RateLimiter jobsRateLimiter() {
        return bound("jobsRateLimiter", () -> new RateLimiter(config.jobsRatePerMinute, common.clock()));
    }

    Mirror mirror() {
        return bound("mirror", () -> {
            Mirror mirror = new Mirror(config, storage());
            mirror.setMetrics(common.metrics());
            mirror.setTracing(common.tracing());
            return mirror;
        });
    }

    TransferUrls transferUrls() {
        return part("transferUrls", () -> new TransferUrls(config, storage(), common.hmac(), common.clock()));
    }

    Dispatcher dispatcher() {
        return bound("dispatcher", () -> {
            Dispatcher dispatcher = closedAtStop(new Dispatcher(config, jobStore(), transferUrls(), common.signedHttp(), common.clock(),
                    common.pools()));
            dispatcher.setSegments(segmentedBurns()); // a split burn's tasks are offered in its place
            return dispatcher;
        });
    }

    /** The orchestrator's decisions that end a job (a failure, a cancel on request), each telling the runner to stop. */
    JobEndings jobEndings() {
        return bound("jobEndings", () -> new JobEndings(jobStore(), dispatcher(), common.clock()));
    }

    /** Completion detection: a job whose outputs are all in the bucket is completed. */
    CompletionCheck completionCheck() {
        return bound("completionCheck", () -> {
            CompletionCheck check = new CompletionCheck(config, jobStore(), storage(), jobEndings(), common.clock());
            check.setMetrics(common.metrics());
            return check;
        });
    }

    /** {@code POST /callbacks/container}: a runner's callbacks, admitted once and applied to their job. */
    RunnerReports runnerReports() {
        return bound("runnerReports", () -> new RunnerReports(config, jobStore(), replay(), replayStore(), common.clock()));
    }

    /** The completion timer and {@code GET /jobs/{id}}'s check, the job timeout, quiet runners probed. */
    Lifecycle lifecycle() {
        return bound("lifecycle", () -> {
            Lifecycle lifecycle = closedAtStop(new Lifecycle(config, jobStore(), runnerReports(), completionCheck(), jobEndings(), dispatcher(),
                    common.clock(), common.pools()));
            lifecycle.setMetrics(common.metrics());
            lifecycle.setSegments(segmentedBurns()); // their quiet tasks probed, their segments cleaned up, on its timer
            return lifecycle;
        });
    }

    /** Segmented burns (docs/segmented-burn.md): whether to split a burn, its tasks' dispatch, end and clean-up. */
    SegmentedBurns segmentedBurns() {
        return part("segmentedBurns", () -> {
            SegmentedBurns burns = closedAtStop(new SegmentedBurns(config, jobStore(), storage(), transferUrls(), common.signedHttp(),
                    common.clock(), common.pools()));
            burns.setEvents(new SegmentMetrics(common.metrics().registry()));
            return burns;
        });
    }

    /** {@code POST /callbacks/tasks}: the reports of a segmented burn's tasks. */
    TaskCallbacks taskCallbacks() {
        return bound("taskCallbacks", () -> new TaskCallbacks(segmentedBurns(), jobStore(), replay(), replayStore(), common.clock()));
    }

    TerminalCallbacks terminalCallbacks() {
        return bound("terminalCallbacks", () -> {
            TerminalCallbacks callbacks = closedAtStop(new TerminalCallbacks(config, jobStore(), transferUrls(), common.signedHttp(),
                    common.clock(), instanceId(), common.pools()));
            callbacks.setMetrics(common.metrics());
            // the delivery lease goes into the write that ends the job (one record write fewer)
            jobStore().beforeTerminalWrite(callbacks::leaseAtTheEnd);
            return callbacks;
        });
    }

    /** {@code /artifacts}, {@code /inputs} and {@code /segments}; the embedded store's directory is ours: its files are sent as they are. */
    Artifacts artifacts() {
        return bound("artifacts", () -> {
            EmbeddedFiles files = config.s3Endpoint == null ? new EmbeddedFiles(config.embeddedS3Dir, config.bucket) : null;
            Artifacts artifacts = new Artifacts(config, jobStore(), storage(), files, common.hmac(), common.clock());
            artifacts.setMetrics(common.metrics());
            return artifacts;
        });
    }

    /** {@code PUT|POST /upload/{jobId}} (fallback mode): an output streamed into the bucket, then the job's outputs checked. */
    Uploads uploads() {
        return bound("uploads", () -> {
            Uploads uploads = new Uploads(jobStore(), storage(), common.hmac(), completionCheck(), common.clock());
            uploads.setMetrics(common.metrics());
            return uploads;
        });
    }

    JobListing jobListing() {
        return bound("jobListing", () -> closedAtStop(new JobListing(jobStore(), common.clock(), common.pools())));
    }

    DashboardAccess dashboardAccess() {
        return bound("dashboardAccess", () -> new DashboardAccess(config));
    }

    DashboardApi dashboardApi() {
        return bound("dashboardApi", () -> new DashboardApi(config, dashboardAccess(), common.signedHttp()));
    }

    /** {@code GET /jobs/events}: on the Vert.x router once it exists ({@link #started}). */
    JobEvents jobEvents() {
        return bound("jobEvents", () -> closedAtStop(new JobEvents(dashboardAccess())));
    }

    JobTraces jobTraces() {
        return bound("jobTraces", () -> new JobTraces(common.tracing()));
    }

    LocalApp localApp() {
        return bound("localApp", () -> new LocalApp(config, replay()));
    }

    /**
     * After Camel started: the embedded store awaited (the service is not declared up before it
     * answers) or the bucket created ({@code R2_CREATE_BUCKET}); {@code GET /jobs/events} on the
     * platform-http router, which exists now; who leads settled (a single replica leads at once);
     * the open jobs read in the background (the start does not wait for them); unfinished multipart
     * uploads swept in the background.
     */
    void started() throws Exception {
        if (embeddedStart != null) {
            embedded = embeddedStart.await();
            embedded.createBucket(config.bucket);
            LOG.info("embedded S3 server on {} over {}", embedded.endpoint(), config.embeddedS3Dir.toAbsolutePath());
        } else if (config.createBucket && storage().ensureBucket()) {
            LOG.info("created the bucket {}", config.bucket);
        }
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(main.getCamelContext(),
                VertxPlatformHttpRouter.getRouterNameFromPort(config.port));
        jobEvents().install(router, router.vertx(), config.dashboardHeartbeatSeconds * 1000);
        shares().attach(Cluster.view(cluster()));
        activeIndex().recoverInBackground();
        boolean exclusive = embedded != null;
        Thread sweep = new Thread(() -> uploadJanitor().atStart(exclusive, createdAt), "upload-janitor");
        sweep.setDaemon(true);
        sweep.start();
    }

    /** The embedded store, once {@link #started} awaited it; null with an S3 endpoint. */
    EmbeddedS3 embedded() {
        return embedded;
    }

    /** A start that failed: the storage client closed, the embedded store stopped once it is up. */
    void abandon() {
        storage().close();
        if (embeddedStart != null) {
            embeddedStart.future().thenAccept(EmbeddedS3::close);
        }
    }
}
