package dev.mediaorchestrator;

import dev.mediaorchestrator.cli.Cli;
import dev.mediaorchestrator.cli.DeploymentCheck;
import dev.mediaorchestrator.cli.MainArguments;
import dev.mediaorchestrator.orchestrator.JobStore;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.storage.EmbeddedS3;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The service: starts and stops Camel Main with the YAML routes of the configured roles, and the
 * beans they call ({@link CommonBeans}, {@link OrchestratorBeans}, {@link RunnerBeans}: what each
 * role is made of), on an HTTP server (platform-http on Vert.x) and a bucket (the embedded S3
 * server unless {@code R2_S3_ENDPOINT} is set).
 */
public final class App implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(App.class);
    /**
     * How long Camel waits for what is in flight when the process stops (its default is 45 s).
     * Runner jobs are stopped before (their tools killed, left to the orchestrator to dispatch
     * again), so this bounds a request that is still being answered (a mirror streaming a source).
     */
    static final int SHUTDOWN_TIMEOUT_SECONDS = 10;

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
        Main main = camelMain(config);
        CommonBeans common = new CommonBeans(config, main).beforeInit();
        // Camel Main configures the context here (it autowires what is bound above: route metrics, the
        // unit of work, health); from here on the beans' pools are Camel's (named, shut down with it)
        main.init();
        common.afterInit();
        OrchestratorBeans orchestrator = config.roles.contains("orchestrator") ? new OrchestratorBeans(common, main).bindAll() : null;
        RunnerBeans runners = config.roles.contains("burner") || config.roles.contains("downloader")
                ? new RunnerBeans(common, runnerConfig, main).bindAll() : null;
        common.httpServer();
        try {
            main.start();
            if (orchestrator != null) {
                // the embedded store awaited, the SSE stream on the router that exists now, who leads
                // settled, the open jobs read in the background
                orchestrator.started();
            }
        } catch (Exception e) {
            stopQuietly(main);
            common.metrics().close();
            if (orchestrator != null) {
                orchestrator.abandon();
            }
            throw e;
        }
        LOG.info("media-orchestrator ({}) listening on {}:{}, started in {} ms", String.join(",", config.roles),
                config.host, config.port, (System.nanoTime() - t0) / 1_000_000);
        List<AutoCloseable> closeables = new ArrayList<>();
        if (orchestrator != null) {
            closeables.addAll(orchestrator.closeables());
        }
        closeables.add(common.metrics());
        closeables.add(common.tracing());
        App app = orchestrator == null ? new App(config, main, null, null, null, closeables)
                : new App(config, main, orchestrator.embedded(), orchestrator.storage(), orchestrator.jobStore(), closeables);
        if (runners != null) {
            app.beforeStop.add(runners.beforeStop());
        }
        return app;
    }

    /** Camel Main with the route files of the roles; hot reload of them in development ({@code ROUTES_RELOAD}). */
    private static Main camelMain(Config config) {
        Main main = new Main();
        main.setAppName("media-orchestrator");
        main.configure().setRoutesIncludePattern(routesPattern(config));
        main.configure().setJmxEnabled(false);
        // SIGTERM: nothing in flight holds the stop longer than this (README, "Stopping")
        main.configure().setShutdownTimeout(SHUTDOWN_TIMEOUT_SECONDS);
        if (config.routesReload) {
            main.configure().setRoutesReloadEnabled(true);
            main.configure().setRoutesReloadDirectory(config.routesReloadDir.toAbsolutePath().toString());
            main.configure().setRoutesReloadPattern("*.yaml");
            main.configure().setRoutesReloadRestartDuration(false);
            main.configure().setRoutesReloadRemoveAllRoutes(false);
            LOG.info("hot reload of routes from {}", config.routesReloadDir.toAbsolutePath());
        }
        return main;
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
