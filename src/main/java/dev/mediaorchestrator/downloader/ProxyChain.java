package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;

import java.io.IOException;

/**
 * How yt-dlp reaches the network for one job: the job's proxy plan ({@link ProxyPlan}), mihomo when
 * the plan needs it ({@link MihomoProcesses}), and, while {@code DOWNLOADER_ALLOW_PRIVATE_NETWORKS}
 * is off, the job's {@link EgressGuard} in front of it all, which checks every connection.
 */
final class ProxyChain {
    private final ProxySettings settings;
    private final Egress egress;
    private final MihomoProcesses mihomo;

    ProxyChain(ProxySettings settings, Egress egress) {
        this.settings = settings;
        this.egress = egress;
        this.mihomo = new MihomoProcesses(settings);
    }

    /** The egress rules of this runner. */
    Egress egress() {
        return egress;
    }

    /** The job's plan, on its own mihomo ports when it runs mihomo. */
    void plan(RunnerJob job, Download d) {
        d.plan = plan(d.options, settings);
        egress.proxyRefusal(d.plan, d.options).ifPresent(reason -> {
            throw new RunnerFailure(reason);
        });
        if (d.plan.needsMihomo()) {
            d.mihomoPorts = mihomo.leasePorts(job);
            d.plan = plan(d.options, d.mihomoPorts);
        }
    }

    /** Starts the plan's processes: mihomo when it needs it, then the egress guard. */
    void start(RunnerJob job, Download d) {
        if (d.plan.needsMihomo()) {
            mihomo.start(job, d);
        }
        try {
            d.guard = egress.guard(job.jobId, d.plan);
        } catch (IOException | IllegalArgumentException e) {
            throw new RunnerFailure("the egress guard could not be started: " + e.getMessage(), e);
        }
    }

    /** The proxy URL yt-dlp is given: the guard's, else the plan's own (none for a direct download). */
    String ytDlpProxyUrl(Download d) {
        return d.guard != null ? d.guard.proxyUrl() : d.plan.ytDlpProxyUrl().orElse(null);
    }

    /** Stops the job's mihomo and its guard (each at most once). */
    void stop(String jobId, Download d) {
        mihomo.stop(jobId, d);
        EgressGuard guard = d.guard;
        d.guard = null;
        if (guard != null) {
            guard.close();
        }
    }

    /** At shutdown, once every job's chain is stopped. */
    void stopAll() {
        egress.stop();
    }

    private static ProxyPlan plan(DownloadOptions options, ProxySettings settings) {
        try {
            return ProxyPlan.resolve(options, settings);
        } catch (IllegalArgumentException e) {
            throw new RunnerFailure("invalid proxy: " + e.getMessage());
        }
    }
}
