package dev.mediaorchestrator;

import dev.mediaorchestrator.burner.BurnerSteps;
import dev.mediaorchestrator.burner.FfmpegCommand;
import dev.mediaorchestrator.burner.SegmentCommands;
import dev.mediaorchestrator.burner.SegmentSteps;
import dev.mediaorchestrator.common.Tracing;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.SignedRequests;
import dev.mediaorchestrator.common.Pools;
import dev.mediaorchestrator.downloader.DownloaderSteps;
import dev.mediaorchestrator.downloader.Egress;
import dev.mediaorchestrator.downloader.EgressPolicy;
import dev.mediaorchestrator.downloader.ProxySettings;
import dev.mediaorchestrator.observability.Metrics;
import dev.mediaorchestrator.observability.Observability;
import dev.mediaorchestrator.runner.AdvertisedUrl;
import dev.mediaorchestrator.runner.JobProcessExecutor;
import dev.mediaorchestrator.runner.RunnerCallbacks;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.RunnerJobs;
import dev.mediaorchestrator.runner.ToolVersions;
import dev.mediaorchestrator.runner.Transfers;
import dev.mediaorchestrator.runner.WorkDirSweeper;
import org.apache.camel.Service;
import org.apache.camel.main.Main;

import java.time.Clock;
import java.util.List;

/**
 * Wires the runner roles into the service: the shared runner beans, and per engine its jobs and
 * steps beans and the properties its route file uses ({@code runner.<role>.path} etc.).
 *
 * <p>Paths: a process whose only role is one runner serves it at the root ({@code POST /render});
 * otherwise each runner is served under {@code /runners/{engine}} (CONTRACT.md, Parts).
 */
public final class Runners {
    /** Signed {@code /render} bodies larger than this are refused with 413. */
    public static final int MAX_RENDER_BODY = 256 * 1024;

    private Runners() {
    }

    /** Binds the runner roles; {@code beforeStop} gets what must happen before Camel stops (ending uploads in flight). */
    public static void bind(Main main, Pools pools, Config config, RunnerConfig rc, Hmac hmac, SignedHttp signedHttp, Clock clock, Metrics metrics,
                            List<Runnable> beforeStop) {
        // what a runner killed before this start left: its tools still running, its job directories
        WorkDirSweeper.sweep(rc.workDir);
        JobProcessExecutor processes = new JobProcessExecutor();
        RunnerCallbacks callbacks = new RunnerCallbacks(signedHttp, clock, 1000, pools);
        Transfers transfers = new Transfers();
        callbacks.setMetrics(metrics);
        transfers.setMetrics(metrics);
        // the process's tracing (App binds it; Tracing.OFF when tracing is off)
        Tracing tracing = java.util.Objects.requireNonNullElse(main.getCamelContext().getRegistry().lookupByNameAndType("tracing", Tracing.class), Tracing.OFF);
        transfers.setTracing(tracing);
        main.bind("runnerConfig", rc);
        main.bind("jobProcessExecutor", processes);
        main.bind("runnerSignedRequests", new SignedRequests(hmac, clock, MAX_RENDER_BODY, rc.requireSignature));
        main.bind("transfers", transfers);
        beforeStop.add(transfers::abortAll); // before the routes wait for their jobs: a blocked upload ends now
        boolean alone = config.roles.size() == 1;
        main.addInitialProperty("runner.maxConcurrency", String.valueOf(rc.maxConcurrency));
        main.addInitialProperty("runner.ffmpeg", rc.ffmpegBin);
        main.addInitialProperty("runner.ffprobe", rc.ffprobeBin);
        main.addInitialProperty("runner.ytdlp", rc.ytDlpBin);
        main.addInitialProperty("runner.burner.timeoutMs", String.valueOf(rc.burnerTimeoutSeconds * 1000));
        main.addInitialProperty("runner.downloader.timeoutMs", String.valueOf(rc.downloaderTimeoutSeconds * 1000));
        if (config.roles.contains("burner")) {
            String path = alone ? "" : "/runners/burner-ffmpeg";
            main.addInitialProperty("runner.burner.path", path);
            RunnerJobs jobs = new RunnerJobs("burner-ffmpeg", rc, callbacks, processes, clock);
            jobs.setAdvertisedUrl(AdvertisedUrl.of(rc.advertisedUrl, config.host, config.port, path));
            beforeStop.add(0, jobs::stopAll); // first: its tools stop, its job ends without a failure
            jobs.setTools(new ToolVersions(ToolVersions.of("burner-ffmpeg", rc)));
            jobs.setTracing(tracing);
            main.bind("burnerJobs", jobs);
            Observability.bindRunner(main, metrics, jobs, rc, List.of(rc.ffmpegBin, rc.ffprobeBin));
            FfmpegCommand ffmpeg = new FfmpegCommand(rc.ffmpegBin, rc.burnerPreset, FfmpegCommand.DEFAULT_CRF);
            BurnerSteps steps = new BurnerSteps(jobs, transfers, rc, ffmpeg);
            main.bind("burnerSteps", steps);
            // the segmented burn's tasks (docs/segmented-burn.md), advertised on /healthz
            main.bind("burnerSegments", new SegmentSteps(steps, jobs, transfers, new SegmentCommands(ffmpeg), rc.ffprobeBin));
            jobs.setFeatures(List.of(SegmentSteps.FEATURE));
        }
        if (config.roles.contains("downloader")) {
            String path = alone ? "" : "/runners/media-downloader";
            main.addInitialProperty("runner.downloader.path", path);
            RunnerJobs jobs = new RunnerJobs("media-downloader", rc, callbacks, processes, clock);
            jobs.setAdvertisedUrl(AdvertisedUrl.of(rc.advertisedUrl, config.host, config.port, path));
            beforeStop.add(0, jobs::stopAll);
            jobs.setTools(new ToolVersions(ToolVersions.of("media-downloader", rc)));
            jobs.setTracing(tracing);
            main.bind("downloaderJobs", jobs);
            Observability.bindRunner(main, metrics, jobs, rc, List.of(rc.ytDlpBin, rc.ffmpegBin));
            DownloaderSteps steps = new DownloaderSteps(jobs, transfers, rc, proxySettings(rc),
                    new Egress(rc.allowPrivateNetworks, egressPolicy(rc), pools), pools);
            main.bind("downloaderSteps", steps);
            try {
                // stopped with the context, after its routes: no mihomo outlives the service
                main.getCamelContext().addService(new Service() {
                    @Override
                    public void start() {
                    }

                    @Override
                    public void stop() {
                        steps.stopAll();
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
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
