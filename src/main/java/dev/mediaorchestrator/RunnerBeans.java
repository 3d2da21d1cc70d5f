package dev.mediaorchestrator;

import dev.mediaorchestrator.burner.BurnerSteps;
import dev.mediaorchestrator.burner.FfmpegCommand;
import dev.mediaorchestrator.burner.SegmentCommands;
import dev.mediaorchestrator.burner.SegmentSteps;
import dev.mediaorchestrator.common.SignedRequests;
import dev.mediaorchestrator.downloader.DownloaderSteps;
import dev.mediaorchestrator.downloader.Egress;
import dev.mediaorchestrator.downloader.EgressPolicy;
import dev.mediaorchestrator.downloader.ProxySettings;
import dev.mediaorchestrator.downloader.YtDlpPreload;
import dev.mediaorchestrator.observability.Observability;
import dev.mediaorchestrator.observability.RunnerMetrics;
import dev.mediaorchestrator.runner.AdvertisedUrl;
import dev.mediaorchestrator.runner.JobProcessExecutor;
import dev.mediaorchestrator.runner.ParentDeath;
import dev.mediaorchestrator.runner.RunnerCallbacks;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.runner.ToolVersions;
import dev.mediaorchestrator.runner.Transfers;
import dev.mediaorchestrator.runner.WorkDirSweeper;
import org.apache.camel.Service;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runner roles' beans (burner-runner.camel.yaml, downloader-runner.camel.yaml), one method
 * each, named as the routes' {@code ref}: the shared runner machinery, and per engine its jobs and
 * steps.
 *
 * <p>Paths: a process whose only role is one runner serves it at the root ({@code POST /render});
 * otherwise each runner is served under {@code /runners/{engine}} (CONTRACT.md, Parts).
 */
final class RunnerBeans extends Beans {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerBeans.class);

    /** Signed {@code /render} bodies larger than this are refused with 413. */
    static final int MAX_RENDER_BODY = 256 * 1024;

    private final CommonBeans common;
    private final Config config;
    private final RunnerConfig rc;

    RunnerBeans(CommonBeans common, RunnerConfig rc, Main main) {
        super(main);
        this.common = common;
        this.config = common.config();
        this.rc = rc;
    }

    /** What a runner killed before this start left (its tools still running, its job directories) goes first; then every bean. */
    RunnerBeans bindAll() {
        String pid1 = ParentDeath.pid1Warning(ProcessHandle.current().pid());
        if (pid1 != null) {
            LOG.warn(pid1);
        }
        WorkDirSweeper.sweep(rc.workDir);
        jobProcessExecutor();
        runnerSignedRequests();
        transfers();
        if (config.roles.contains("burner")) {
            burnerJobs();
            burnerSteps();
            burnerSegments();
        }
        if (config.roles.contains("downloader")) {
            downloaderJobs();
            downloaderSteps();
            ytDlpPreload();
        }
        routeProperties(routeProperties(config, rc));
        return this;
    }

    /** The runner route files' properties: concurrency, each tool's time limit, each runner's path. */
    static Map<String, String> routeProperties(Config config, RunnerConfig rc) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("runner.maxConcurrency", String.valueOf(rc.maxConcurrency));
        if (config.roles.contains("burner")) {
            p.put("runner.burner.path", path(config, "burner-ffmpeg"));
            p.put("runner.burner.timeoutMs", String.valueOf(rc.burnerTimeoutSeconds * 1000));
        }
        if (config.roles.contains("downloader")) {
            p.put("runner.downloader.path", path(config, "media-downloader"));
            p.put("runner.downloader.timeoutMs", String.valueOf(rc.downloaderTimeoutSeconds * 1000));
        }
        return p;
    }

    /** Where an engine's endpoints are: the root when it is the process's only role. */
    private static String path(Config config, String engine) {
        return config.roles.size() == 1 ? "" : "/runners/" + engine;
    }

    /** Each job's tools as a process group: killed with the job, the service or the JVM. */
    JobProcessExecutor jobProcessExecutor() {
        return bound("jobProcessExecutor", JobProcessExecutor::new);
    }

    /** {@code RUNNER_REQUIRE_SIGNATURE=false}: the original Worker's unsigned dispatch is taken. */
    SignedRequests runnerSignedRequests() {
        return bound("runnerSignedRequests", () -> new SignedRequests(common.hmac(), common.clock(), MAX_RENDER_BODY, rc.requireSignature));
    }

    /**
     * What must happen before Camel stops: each engine's jobs stop (their tools killed, ended without
     * a failure: the orchestrator dispatches them again), then the uploads in flight end, before the
     * routes wait for their jobs.
     */
    Runnable beforeStop() {
        return () -> {
            if (config.roles.contains("burner")) {
                burnerJobs().stopAll();
            }
            if (config.roles.contains("downloader")) {
                downloaderJobs().stopAll();
            }
            transfers().abortAll();
        };
    }

    /** The runners' meters on the service's registry: one for both engines (a transfer finds its job by its thread). */
    RunnerMetrics runnerMetrics() {
        return part("runnerMetrics", () -> new RunnerMetrics(common.metrics().registry()));
    }

    /** Inputs down and outputs up, streamed; each upload can be ended ({@link #beforeStop}). */
    Transfers transfers() {
        return part("transfers", () -> {
            Transfers transfers = new Transfers();
            transfers.setMetrics(runnerMetrics());
            transfers.setTracing(common.tracing());
            return transfers;
        });
    }

    /** Each job's callbacks to the orchestrator, in order; shared by both engines. */
    RunnerCallbacks callbacks() {
        return part("callbacks", () -> {
            RunnerCallbacks callbacks = new RunnerCallbacks(common.signedHttp(), common.clock(), 1000, common.pools());
            callbacks.setMetrics(runnerMetrics());
            return callbacks;
        });
    }

    RunnerJobs burnerJobs() {
        return bound("burnerJobs", () -> jobs("burner-ffmpeg", List.of(rc.ffmpegBin, rc.ffprobeBin)));
    }

    BurnerSteps burnerSteps() {
        return bound("burnerSteps", () -> new BurnerSteps(burnerJobs(), transfers(), rc, ffmpeg()));
    }

    FfmpegCommand ffmpeg() {
        return part("ffmpeg", () -> new FfmpegCommand(rc.ffmpegBin, rc.burnerPreset, FfmpegCommand.DEFAULT_CRF));
    }

    /** The segmented burn's tasks (docs/segmented-burn.md), advertised on {@code /healthz}. */
    SegmentSteps burnerSegments() {
        return bound("burnerSegments", () -> {
            burnerJobs().setFeatures(List.of(SegmentSteps.FEATURE));
            return new SegmentSteps(burnerSteps(), burnerJobs(), transfers(), new SegmentCommands(ffmpeg()), rc.ffprobeBin);
        });
    }

    RunnerJobs downloaderJobs() {
        return bound("downloaderJobs", () -> jobs("media-downloader", List.of(rc.ytDlpBin, rc.ffmpegBin)));
    }

    /** Its mihomo processes are stopped with the context, after its routes: none outlives the service. */
    DownloaderSteps downloaderSteps() {
        return bound("downloaderSteps", () -> {
            DownloaderSteps steps = new DownloaderSteps(downloaderJobs(), transfers(), rc, proxySettings(rc),
                    new Egress(rc.allowPrivateNetworks, egressPolicy(rc), common.pools()), common.pools());
            stoppedWithCamel(steps::stopAll);
            return steps;
        });
    }

    /** {@code YTDLP_PRELOAD}: a Python yt-dlp is forked from a loaded copy ({@link YtDlpPreload}), any other started with exec. */
    private void ytDlpPreload() {
        if (rc.ytDlpPreload) {
            YtDlpPreload.of(rc.ytDlpBin).ifPresent(preload -> {
                jobProcessExecutor().launchWith(rc.ytDlpBin, preload);
                stoppedWithCamel(preload::close);
            });
        }
    }

    /** An engine's jobs: admission, phases, callbacks; its gauges and readiness ({@code tools} on PATH). */
    private RunnerJobs jobs(String engine, List<String> tools) {
        RunnerJobs jobs = new RunnerJobs(engine, rc, callbacks(), jobProcessExecutor(), common.clock());
        jobs.setAdvertisedUrl(AdvertisedUrl.of(rc.advertisedUrl, config.host, config.port, path(config, engine)));
        jobs.setTools(new ToolVersions(ToolVersions.of(engine, rc)));
        jobs.setTracing(common.tracing());
        Observability.bindRunner(main, runnerMetrics(), jobs, rc, tools);
        return jobs;
    }

    private void stoppedWithCamel(Runnable stop) {
        try {
            main.getCamelContext().addService(new Service() {
                @Override
                public void start() {
                }

                @Override
                public void stop() {
                    stop.run();
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code DOWNLOADER_EGRESS_ALLOW}; a malformed entry fails startup naming the variable. */
    private static EgressPolicy egressPolicy(RunnerConfig rc) {
        try {
            return EgressPolicy.parse(rc.egressAllow);
        } catch (IllegalArgumentException e) {
            throw new Config.ConfigException("DOWNLOADER_EGRESS_ALLOW: " + e.getMessage());
        }
    }

    /** The downloader's proxy environment; a malformed CLASH_* or MIHOMO_* value fails startup naming the variable. */
    private static ProxySettings proxySettings(RunnerConfig rc) {
        try {
            return new ProxySettings(rc.clashSubscriptionUrl, rc.clashRawConfig, rc.clashMode, rc.mihomoPort, rc.mihomoSocksPort, rc.mihomoBin);
        } catch (IllegalArgumentException e) {
            throw new Config.ConfigException(e.getMessage());
        }
    }
}
