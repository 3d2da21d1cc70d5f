package dev.mediaorchestrator;

import dev.mediaorchestrator.cli.Cli;
import dev.mediaorchestrator.cli.DeploymentCheck;
import dev.mediaorchestrator.cli.MainArguments;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.RateLimiter;
import dev.mediaorchestrator.common.ReplayCache;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.Tracing;
import dev.mediaorchestrator.common.SignedRequests;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.orchestrator.Artifacts;
import dev.mediaorchestrator.orchestrator.Dispatcher;
import dev.mediaorchestrator.orchestrator.Lifecycle;
import dev.mediaorchestrator.orchestrator.LocalApp;
import dev.mediaorchestrator.orchestrator.TerminalCallbacks;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.orchestrator.JobTraces;
import dev.mediaorchestrator.orchestrator.JobsApi;
import dev.mediaorchestrator.orchestrator.Mirror;
import dev.mediaorchestrator.orchestrator.ReplayStore;
import dev.mediaorchestrator.orchestrator.Shares;
import dev.mediaorchestrator.orchestrator.StateObjects;
import dev.mediaorchestrator.orchestrator.UploadJanitor;
import dev.mediaorchestrator.orchestrator.TransferUrls;
import dev.mediaorchestrator.observability.Metrics;
import dev.mediaorchestrator.observability.Observability;
import dev.mediaorchestrator.observability.OtelTracing;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.storage.EmbeddedFiles;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import dev.mediaorchestrator.dashboard.DashboardAccess;
import dev.mediaorchestrator.dashboard.DashboardApi;
import dev.mediaorchestrator.dashboard.JobEvents;
import dev.mediaorchestrator.orchestrator.JobListing;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The service: Camel Main with the YAML routes of the configured roles, the beans they call, an
 * HTTP server (platform-http on Vert.x), and storage (the embedded S3 server unless
 * {@code R2_S3_ENDPOINT} is set).
 */
public final class App implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(App.class);
    /** Signed JSON bodies larger than this are refused with 413. */
    public static final int MAX_SIGNED_BODY = 256 * 1024;

    private final Config config;
    private final Main main;
    private final EmbeddedS3 embedded;
    private final Storage storage;
    private final JobStore jobs;

    private final List<AutoCloseable> closeables;
    /** Run first in {@link #close()}, before Camel stops. */
    private final List<Runnable> beforeStop = new ArrayList<>();
    /** Held from the start to the very end of {@link #close()}. */
    private DataDirLock lock;

    private App(Config config, Main main, EmbeddedS3 embedded, Storage storage, JobStore jobs, List<AutoCloseable> closeables) {
        this.closeables = closeables;
        this.config = config;
        this.main = main;
        this.embedded = embedded;
        this.storage = storage;
        this.jobs = jobs;
    }

    public static void main(String[] args) throws Exception {
        MainArguments.Parsed parsed = MainArguments.parse(args);
        switch (parsed.command()) {
            case HELP -> {
                System.out.println(MainArguments.usage());
                System.exit(0);
                return;
            }
            case WRONG -> {
                System.err.println(MainArguments.errorText(parsed));
                System.exit(2);
                return;
            }
            case CLIENT -> {
                System.exit(new Cli(System.getenv(), System.out).run(args));
                return;
            }
            case CHECK -> {
                System.exit(new DeploymentCheck(System.getenv(), System.out, Clock.systemUTC()).run());
                return;
            }
            case SERVE -> {
                // below
            }
        }
        Map<String, String> env = MainArguments.serveEnvironment(parsed, System.getenv());
        Config config;
        try {
            config = Config.fromEnv(env);
        } catch (Config.ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        // The hook is in place before anything starts. The HTTP server answers before start()
        // returns; a SIGTERM in that window used to find no hook of ours (and addShutdownHook then
        // threw "Shutdown in progress"), leaving only Camel's hangup hook, which waits for a main
        // loop this class never runs: the process lingered for about a minute. Now the hook waits
        // for the start to end and stops what it started.
        CompletableFuture<App> started = new CompletableFuture<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                started.join().close();
            } catch (RuntimeException e) {
                // the start failed: there is nothing to stop
            } finally {
                stopped.countDown();
            }
        }, "shutdown"));
        App app;
        try {
            app = start(config, RunnerConfig.fromEnv(env));
        } catch (Config.ConfigException e) {
            started.completeExceptionally(e);
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        } catch (Exception | Error e) {
            started.completeExceptionally(e);
            throw e;
        }
        started.complete(app);
        stopped.await();
    }

    public static App start(Config config) throws Exception {
        return start(config, RunnerConfig.fromEnv(System.getenv()));
    }

    public static App start(Config config, RunnerConfig runnerConfig) throws Exception {
        long t0 = System.nanoTime();
        checkEncoding(config, System.getProperty("sun.jnu.encoding"));
        DataDirLock lock = config.roles.contains("orchestrator") ? DataDirLock.acquire(config.dataDir) : null;
        try {
            App app = start(config, runnerConfig, t0);
            app.lock = lock;
            return app;
        } catch (Exception | Error e) {
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
    }

    private static App start(Config config, RunnerConfig runnerConfig, long t0) throws Exception {
        String secret = SecretStore.resolve(config);
        Clock clock = Clock.systemUTC();
        Hmac hmac = new Hmac(secret).withPrevious(config.secretPrevious);
        SignedHttp signedHttp = new SignedHttp(hmac);

        Main main = new Main();
        main.setAppName("media-orchestrator");
        main.configure().setRoutesIncludePattern(routesPattern(config));
        main.configure().setJmxEnabled(false);
        if (config.routesReload) {
            main.configure().setRoutesReloadEnabled(true);
            main.configure().setRoutesReloadDirectory(config.routesReloadDir.toAbsolutePath().toString());
            main.configure().setRoutesReloadPattern("*.yaml");
            main.configure().setRoutesReloadRestartDuration(false);
            main.configure().setRoutesReloadRemoveAllRoutes(false);
            LOG.info("hot reload of routes from {}", config.routesReloadDir.toAbsolutePath());
        }
        main.bind("config", config);
        main.bind("hmac", hmac);
        main.bind("signedHttp", signedHttp);
        main.bind("openApi", new OpenApiDocument());

        List<AutoCloseable> closeables = new ArrayList<>();
        List<Runnable> beforeStop = new ArrayList<>();
        Metrics metrics = Metrics.prometheus(Duration.ofSeconds(config.jobTtlSeconds));
        Observability.bind(main, metrics);
        // Camel Main configures the context here (it autowires what is bound above: route metrics, the
        // unit of work, health); from here on the beans' pools are Camel's (named, shut down with it)
        main.init();
        // tracing (OTEL_EXPORTER_OTLP_ENDPOINT): Camel's OpenTelemetry tracer on the context, our spans
        // around signed requests and transfers; without the variable Tracing.OFF and no class of
        // OpenTelemetry is even loaded (OtelTracing is not touched)
        Tracing tracing = config.tracing.on() ? OtelTracing.start(config.tracing, serviceName(config), main) : Tracing.OFF;
        signedHttp.setTracing(tracing);
        main.bind("tracing", tracing);
        Pools pools = Pools.of(main.getCamelContext());
        EmbeddedS3.Starting embeddedStart = null;
        Storage storage = null;
        JobStore jobs = null;
        JobEvents events = null;
        CamelClusterService cluster = null;
        Shares shares = null;
        if (config.roles.contains("orchestrator")) {
            if (config.s3Endpoint == null) {
                // started in the background while Camel starts; awaited before the service is declared up
                // credentials derived from the secret: presigned URLs stay valid across a restart
                embeddedStart = EmbeddedS3.starting(config.embeddedS3Dir, config.embeddedS3Port,
                        "local-" + hmac.sign("embedded-s3-access-key").substring(0, 16), hmac.sign("embedded-s3-secret-key"));
                storage = new Storage(embeddedStart.endpoint(), embeddedStart.accessKey(), embeddedStart.secretKey(), config.region, config.bucket);
            } else {
                storage = new Storage(config.s3Endpoint, config.s3PublicEndpoint, config.s3AccessKeyId, config.s3SecretAccessKey,
                        config.region, config.bucket);
            }
            jobs = new JobStore(Duration.ofSeconds(config.jobTtlSeconds), StateObjects.of(storage), hmac, clock, pools,
                    main.getCamelContext().createProducerTemplate());
            jobs.setMetrics(metrics);
            String instanceId = InstanceId.resolve(config.dataDir);
            cluster = Cluster.service(config, StateObjects.of(storage), instanceId, clock);
            // started with the context (the master: routes find it there); its view is taken once the bucket answers
            main.getCamelContext().addService(cluster);
            shares = Shares.member(config.clusterService == Config.ClusterService.KUBERNETES ? config.podName : instanceId);
            jobs.setShares(shares);
            ReplayCache replay = new ReplayCache(Duration.ofMinutes(ReplayStore.SHORT_MINUTES));
            ReplayStore sharedReplay = new ReplayStore(StateObjects.of(storage), clock, Duration.ofSeconds(config.jobTtlSeconds));
            main.bind("replayStore", sharedReplay);
            main.bind("uploadJanitor", new UploadJanitor(storage, clock));
            ReplayCache idempotency = new ReplayCache(Duration.ofSeconds(config.jobTtlSeconds));
            TransferUrls urls = new TransferUrls(config, storage, hmac, clock);
            main.bind("storage", storage);
            main.bind("signedRequests", new SignedRequests(hmac, clock, MAX_SIGNED_BODY, true));
            main.bind("jobStore", jobs);
            main.bind("jobs", jobs.cache());
            main.bind("replay", replay.cache());
            JobsApi jobsApi = new JobsApi(jobs, replay, idempotency, sharedReplay, clock);
            jobsApi.setTracing(tracing);
            main.bind("jobTraces", new JobTraces(tracing));
            main.bind("jobsApi", jobsApi);
            main.bind("jobsRateLimiter", new RateLimiter(config.jobsRatePerMinute, clock));
            Mirror mirror = new Mirror(config, storage);
            mirror.setMetrics(metrics);
            mirror.setTracing(tracing);
            main.bind("mirror", mirror);
            main.bind("transferUrls", urls);
            Dispatcher dispatcher = new Dispatcher(config, jobs, urls, signedHttp, clock, pools);
            Lifecycle lifecycle = new Lifecycle(config, jobs, storage, replay, sharedReplay, dispatcher, clock, pools);
            lifecycle.setMetrics(metrics);
            TerminalCallbacks terminalCallbacks = new TerminalCallbacks(config, jobs, urls, signedHttp, clock, instanceId, pools);
            terminalCallbacks.setMetrics(metrics);
            main.bind("dispatcher", dispatcher);
            main.bind("lifecycle", lifecycle);
            main.bind("terminalCallbacks", terminalCallbacks);
            // the embedded store's directory is ours: its objects' files are sent as they are
            EmbeddedFiles embeddedFiles = embeddedStart != null ? new EmbeddedFiles(config.embeddedS3Dir, config.bucket) : null;
            Artifacts artifacts = new Artifacts(config, jobs, storage, embeddedFiles, hmac, lifecycle, clock);
            artifacts.setMetrics(metrics);
            main.bind("artifacts", artifacts);
            Observability.bindOrchestrator(main, metrics, config, storage, jobs);
            JobListing listing = new JobListing(jobs, clock, pools);
            main.bind("jobListing", listing);
            DashboardAccess access = new DashboardAccess(config);
            main.bind("dashboardAccess", access);
            main.bind("dashboardApi", new DashboardApi(config, access, signedHttp));
            events = new JobEvents(access);
            main.bind("jobEvents", events);
            closeables.add(listing);
            closeables.add(events);
            main.addInitialProperty("completion.pollMs", String.valueOf(config.completionPollIntervalMs));
            main.addInitialProperty("state.syncMs", String.valueOf(Math.max(1000, Math.min(5000, config.completionPollIntervalMs * 2))));
            main.addInitialProperty("state.retentionMs", String.valueOf(Math.max(60_000, Math.min(600_000, config.jobTtlSeconds * 100))));
            if (config.localApp) {
                main.bind("localApp", new LocalApp(config, replay));
                LOG.info("local mode: media from {}, callbacks to {}", config.mediaDir.toAbsolutePath(),
                        config.dataDir.resolve("callbacks.jsonl").toAbsolutePath());
            }
            closeables.add(dispatcher);
            closeables.add(jobs);
            closeables.add(lifecycle);
            closeables.add(terminalCallbacks);
        }
        if (config.roles.contains("burner") || config.roles.contains("downloader")) {
            Runners.bind(main, pools, config, runnerConfig, hmac, signedHttp, clock, metrics, beforeStop);
        }
        closeables.add(metrics);
        closeables.add(tracing);

        VertxPlatformHttpServerConfiguration http = new VertxPlatformHttpServerConfiguration();
        http.setBindHost(config.host);
        http.setBindPort(config.port);
        http.setMaxBodySize(1024L * 1024L);
        VertxPlatformHttpServer httpServer = new JsonErrorsHttpServer(http);
        main.getCamelContext().addService(httpServer);
        EmbeddedS3 embedded = null;
        try {
            main.start();
            if (embeddedStart != null) {
                embedded = embeddedStart.await();
                embedded.createBucket(config.bucket);
                LOG.info("embedded S3 server on {} over {}", embedded.endpoint(), config.embeddedS3Dir.toAbsolutePath());
            }
            if (embedded == null && config.createBucket && storage != null && storage.ensureBucket()) {
                LOG.info("created the bucket {}", config.bucket);
            }
            if (events != null) {
                VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(main.getCamelContext(),
                        VertxPlatformHttpRouter.getRouterNameFromPort(config.port));
                events.install(router, router.vertx(), config.dashboardHeartbeatSeconds * 1000);
            }
            if (jobs != null) {
                // who leads is settled before the service is declared up (a single replica leads at
                // once); the open jobs are read in the background: the start does not wait for them
                shares.attach(Cluster.view(cluster));
                jobs.recoverInBackground();
                UploadJanitor janitor = new UploadJanitor(storage, clock);
                boolean exclusive = embedded != null;
                Thread sweep = new Thread(() -> janitor.atStart(exclusive), "upload-janitor");
                sweep.setDaemon(true);
                sweep.start();
            }
        } catch (Exception e) {
            stopQuietly(main);
            metrics.close();
            if (storage != null) {
                storage.close();
            }
            if (embeddedStart != null) {
                embeddedStart.future().thenAccept(EmbeddedS3::close);
            }
            throw e;
        }
        LOG.info("media-orchestrator ({}) listening on {}:{}, started in {} ms", String.join(",", config.roles),
                config.host, config.port, (System.nanoTime() - t0) / 1_000_000);
        App app = new App(config, main, embedded, storage, jobs, closeables);
        app.beforeStop.addAll(beforeStop);
        return app;
    }

    /**
     * The runners hand ffmpeg and yt-dlp their arguments (a hint text, a URL, file names) in the
     * JVM's file name encoding, which follows the locale: under {@code LANG=C} (no LANG at all, as in
     * {@code debian:bookworm-slim} or a bare systemd unit) it is ASCII, and every other character
     * becomes '?' ("请稍候" burned as "???", a URL with 视频 in it not found). Rather than mangle
     * users' text, a process with a runner role refuses to start there.
     */
    static void checkEncoding(Config config, String fileNameEncoding) {
        boolean tools = config.roles.contains("burner") || config.roles.contains("downloader");
        if (tools && (fileNameEncoding == null || !fileNameEncoding.replace("-", "").equalsIgnoreCase("UTF8"))) {
            throw new Config.ConfigException("LANG: the locale's character set is " + fileNameEncoding + ", not UTF-8: text and URLs "
                    + "passed to ffmpeg and yt-dlp would lose every non-ASCII character. Start with LANG=C.UTF-8 (or another UTF-8 "
                    + "locale) in the environment; the images and ./run set it");
        }
    }

    private static void stopQuietly(Main main) {
        try {
            main.stop();
        } catch (Exception ignored) {
            // already failing
        }
    }

    /** The service name of this process's spans (OTEL_SERVICE_NAME overrides it): its role, or the roles it runs. */
    static String serviceName(Config config) {
        if (config.roles.size() == 1) {
            return switch (config.roles.iterator().next()) {
                case "burner" -> "burner-ffmpeg";
                case "downloader" -> "media-downloader";
                default -> "media-orchestrator";
            };
        }
        return "media-orchestrator";
    }

    static String routesPattern(Config config) {
        String base = config.routesReload ? "file:" + config.routesReloadDir.toAbsolutePath() + "/" : "classpath:routes/";
        List<String> patterns = new ArrayList<>();
        patterns.add(base + "common-*.camel.yaml");
        Map<String, String> byRole = Map.of("orchestrator", "orchestrator-*.camel.yaml",
                "burner", "burner-*.camel.yaml", "downloader", "downloader-*.camel.yaml");
        for (String role : config.roles) {
            patterns.add(base + byRole.get(role));
        }
        if (config.localApp) {
            patterns.add(base + "local-app.camel.yaml");
        }
        return String.join(",", patterns);
    }

    public CamelContext camelContext() {
        return main.getCamelContext();
    }

    public Config config() {
        return config;
    }

    public Storage storage() {
        return storage;
    }

    public EmbeddedS3 embeddedS3() {
        return embedded;
    }

    public JobStore jobs() {
        return jobs;
    }

    @Override
    public void close() {
        for (Runnable r : beforeStop) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("stopping: {}", e.toString());
            }
        }
        try {
            main.stop();
        } catch (Exception e) {
            LOG.warn("stopping Camel failed: {}", e.toString());
        }
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
        if (storage != null) {
            storage.close();
        }
        if (embedded != null) {
            embedded.close();
        }
        if (lock != null) {
            lock.close();
        }
    }
}
