package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.Pools;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The downloader's rules for leaving the machine (CONTRACT.md, Downloader rules, private
 * networks): with {@code DOWNLOADER_ALLOW_PRIVATE_NETWORKS} off, a job's {@code url} is checked
 * before yt-dlp starts (a clear, early error), and yt-dlp then reaches the network only through
 * the job's {@link EgressGuard}, which checks every connection again where it is made. With it on,
 * neither happens. The threads of every guard come from one pool, ended with the service.
 */
public final class Egress {
    private final boolean allowPrivateNetworks;
    private final EgressPolicy policy;
    private final ExecutorService threads;
    private volatile PrivateNetworks.Resolver resolver = PrivateNetworks.SYSTEM;

    public Egress(boolean allowPrivateNetworks, EgressPolicy policy, Pools pools) {
        this.allowPrivateNetworks = allowPrivateNetworks;
        this.policy = policy;
        this.threads = pools.cached("egress-guard");
    }

    /** Why {@code url} is refused before anything starts; empty when it may be tried (or private networks are on). */
    Optional<String> refusal(String url) {
        return allowPrivateNetworks ? Optional.empty() : PrivateNetworks.refusal(url, resolver, policy);
    }

    /**
     * A guard for one job, in front of {@code upstreamProxyUrl} when the job has a proxy; null
     * when private networks are on (nothing to guard).
     *
     * @throws IllegalArgumentException when the proxy URL is not one the guard can chain
     */
    EgressGuard guard(String jobId, Optional<String> upstreamProxyUrl) throws IOException {
        if (allowPrivateNetworks) {
            return null;
        }
        EgressUpstream upstream = upstreamProxyUrl.map(EgressUpstream::parse).orElse(null);
        return EgressGuard.start(jobId, policy, resolver, upstream, threads);
    }

    /** For tests: DNS answers a test chooses (a name that answers one thing to the check and another after). */
    void resolveWith(PrivateNetworks.Resolver resolver) {
        this.resolver = resolver;
    }

    /** At shutdown, after every job's guard is closed. */
    void stop() {
        threads.shutdownNow();
    }
}
