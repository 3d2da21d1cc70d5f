package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.common.Pools;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The downloader's rules for leaving the machine (CONTRACT.md, Downloader rules, private
 * networks): with {@code DOWNLOADER_ALLOW_PRIVATE_NETWORKS} off, a job's {@code url} is checked
 * before yt-dlp starts (a clear, early error), and yt-dlp then reaches the network only through
 * the job's {@link EgressGuard}, which checks every connection again where it is made. A proxy the
 * job names is checked the same way, before and at each connection. With it on, neither happens.
 * The threads of every guard come from one pool, ended with the service.
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
     * Why the proxy the job names itself is refused before anything starts: its {@code proxy}
     * ({@code nodeUrl} or server), or its {@code defaultProxyUrl}, is input like its {@code url}, and
     * is held to the same rule. Empty when it may be used, when the plan uses none of the job's
     * proxies (the operator's Clash settings are not checked), or when private networks are on.
     */
    Optional<String> proxyRefusal(ProxyPlan plan, DownloadOptions options) {
        if (allowPrivateNetworks) {
            return Optional.empty();
        }
        String address;
        try {
            address = switch (plan.source()) {
                case JOB_PLAIN_PROXY, DEFAULT_PROXY_URL -> EgressUpstream.parse(plan.ytDlpProxyUrl().orElseThrow()).describe();
                case JOB_NODE_URL, JOB_SERVER -> serverOf(ClashConfigBuilder.proxyEntry(options.proxy().orElseThrow()));
                default -> null;
            };
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // not a proxy this runner can use: starting it says so
        }
        return address == null ? Optional.empty() : PrivateNetworks.refusal("the job's proxy", address, resolver, policy)
                .map(why -> why + trustHint(address.substring(address.indexOf("://") + 3)));
    }

    /** How an operator lets an internal proxy through: its {@code host:port} in {@code DOWNLOADER_EGRESS_ALLOW}. */
    private static String trustHint(String hostPort) {
        return "; a proxy the operator trusts can be listed in DOWNLOADER_EGRESS_ALLOW (" + hostPort + ")";
    }

    /** {@code host:port}, an IPv6 literal bracketed. */
    private static String hostPort(String host, Object port) {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    private static String serverOf(Map<String, Object> entry) {
        return "http://" + hostPort(String.valueOf(entry.get("server")), entry.get("port"));
    }

    /**
     * A guard for one job, in front of the plan's proxy when it has one (a proxy the job names is
     * checked again at each connection to it); null when private networks are on (nothing to guard).
     *
     * @throws IllegalArgumentException when the proxy URL is not one the guard can chain
     */
    EgressGuard guard(String jobId, ProxyPlan plan) throws IOException {
        if (allowPrivateNetworks) {
            return null;
        }
        EgressUpstream upstream = plan.ytDlpProxyUrl().map(EgressUpstream::parse).orElse(null);
        if (upstream != null && (plan.source() == ProxyPlan.Source.JOB_PLAIN_PROXY || plan.source() == ProxyPlan.Source.DEFAULT_PROXY_URL)) {
            upstream = upstream.checkedBy(this::proxyAddress);
        }
        return EgressGuard.start(jobId, policy, resolver, upstream, threads);
    }

    /** The job's proxy's address, resolved here and checked: connected to as it is. */
    private InetAddress proxyAddress(String host, int port) throws IOException {
        String name = PrivateNetworks.normalizeHost(host);
        InetAddress[] addresses = PrivateNetworks.addresses(name, resolver);
        for (InetAddress a : addresses) {
            String kind = policy.refusedKind(a, port);
            if (kind != null) {
                throw new EgressUpstream.Forbidden("connection refused by the egress guard: the job's proxy " + hostPort(host, port)
                        + (PrivateNetworks.isLiteral(name) ? " is" : " resolves to " + a.getHostAddress() + ",") + " a " + kind
                        + " address; " + PrivateNetworks.OFF + trustHint(hostPort(host, port)));
            }
        }
        if (addresses.length == 0) {
            throw new UnknownHostException(host);
        }
        return addresses[0];
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
