package dev.mediaorchestrator.orchestrator;

import org.apache.camel.support.cluster.AbstractCamelClusterService;

import java.time.Clock;

/**
 * Camel's cluster service ({@code CamelClusterService}: {@code master:} routes, leadership and
 * membership views) over the bucket the orchestrators already share: the default where there is
 * no Kubernetes (a single process, compose, several processes on one machine). Each view is a
 * {@link BucketClusterView}. In Kubernetes the manifests choose Camel's {@code KubernetesClusterService}
 * (Leases) instead; both are used through the same API ({@link Shares}).
 */
public final class BucketClusterService extends AbstractCamelClusterService<BucketClusterView> {
    /** How often a member writes its presence and the leader renews its lease. */
    public static final long HEARTBEAT_MS = 5_000;
    /** How long a lease (and a member's presence) lasts without renewal: a dead replica's share moves within about this much plus a heartbeat. */
    public static final long LEASE_MS = 15_000;

    private final StateObjects objects;
    private final String localId;
    private final Clock clock;
    private final long heartbeatMs;
    private final long leaseMs;

    public BucketClusterService(StateObjects objects, String localId, Clock clock) {
        this(objects, localId, clock, HEARTBEAT_MS, LEASE_MS);
    }

    public BucketClusterService(StateObjects objects, String localId, Clock clock, long heartbeatMs, long leaseMs) {
        super("bucket");
        if (!Shares.isMemberId(localId)) {
            throw new IllegalArgumentException("cluster member id must be 1-100 of [A-Za-z0-9._-]: " + localId);
        }
        this.objects = objects;
        this.localId = localId;
        this.clock = clock;
        this.heartbeatMs = heartbeatMs;
        this.leaseMs = leaseMs;
    }

    @Override
    protected BucketClusterView createView(String namespace) {
        return new BucketClusterView(this, namespace, objects, localId, clock, heartbeatMs, leaseMs);
    }
}
