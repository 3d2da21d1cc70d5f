package dev.mediaorchestrator;

import dev.mediaorchestrator.orchestrator.BucketClusterService;
import dev.mediaorchestrator.orchestrator.BucketClusterView;
import dev.mediaorchestrator.orchestrator.Shares;
import dev.mediaorchestrator.orchestrator.StateObjects;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.kubernetes.KubernetesConfiguration;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;

import java.time.Clock;
import java.util.Map;

/**
 * The orchestrators' cluster service ({@code CLUSTER_SERVICE}): Camel's Kubernetes one on Leases in
 * the manifests, the bucket one elsewhere (docs/architecture.md, "Who works which job").
 */
final class Cluster {
    /** The pods of the orchestrator Deployment (deploy/k8s/base/orchestrator.yaml): the members. */
    static final Map<String, String> KUBERNETES_LABELS = Map.of("app.kubernetes.io/name", "media-orchestrator");
    /** The Lease is {@code media-orchestrator-media-orchestrator} (Camel names it resource name, group). */
    static final String KUBERNETES_LEASE = "media-orchestrator";

    private Cluster() {
    }

    static CamelClusterService service(Config config, StateObjects objects, String instanceId, Clock clock) {
        if (config.clusterService == Config.ClusterService.KUBERNETES) {
            // the API server, namespace and credentials: the pod's service account (in-cluster defaults)
            KubernetesClusterService k = new KubernetesClusterService(new KubernetesConfiguration());
            k.setPodName(config.podName);
            k.setClusterLabels(KUBERNETES_LABELS);
            k.setKubernetesResourceName(KUBERNETES_LEASE);
            // a dead leader's Lease runs out in 10 s; its successor waits as long again before it acts:
            // the share of a dead replica moves within about 20-25 s, as with the bucket's 15 s + 5 s
            k.setLeaseDurationMillis(10_000);
            k.setRenewDeadlineMillis(7_000);
            k.setRetryPeriodMillis(2_000);
            return k;
        }
        return new BucketClusterService(objects, instanceId, clock);
    }

    /** The orchestrators' view, its first heartbeat through when the bucket keeps it (a single replica then leads at once). */
    static CamelClusterView view(CamelClusterService service) throws Exception {
        CamelClusterView view = service.getView(Shares.NAMESPACE);
        if (view instanceof BucketClusterView bucket) {
            bucket.tick();
        }
        return view;
    }
}
