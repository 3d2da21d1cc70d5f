package dev.mediaorchestrator;

import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.orchestrator.Shares;
import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.StubHttpServer;
import dev.mediaorchestrator.support.Wait;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.time.Clock;

/**
 * Issue 29: {@code CLUSTER_SERVICE=kubernetes} is Camel's Kubernetes cluster service as the service
 * configures it, against a stand-in for the API server: the pod becomes the leader of the
 * orchestrators, and what it asks of the API is exactly what the Role in deploy/k8s grants
 * (K8sManifestsTest.orchestratorMayOnlyKeepItsLeaseAndListItsPods): get, create and update of its
 * Lease, a list of the pods.
 */
@IntegrationTest
class ClusterKubernetesTest {
    private static final String NS = "media-orchestrator";

    @Test
    void thePodLeadsWithTheLeaseAndTheMemberListAlone() throws Exception {
        AtomicReference<String> lease = new AtomicReference<>();
        try (StubHttpServer api = new StubHttpServer()) {
            String leases = "/apis/coordination.k8s.io/v1/namespaces/" + NS + "/leases";
            api.on(leases, ex -> {
                api.record(ex);
                String method = ex.getRequestMethod();
                if (method.equals("GET")) {
                    String body = lease.get();
                    StubHttpServer.respond(ex, body == null ? 404 : 200, "application/json",
                            (body == null ? "{\"kind\":\"Status\",\"code\":404}" : body).getBytes(StandardCharsets.UTF_8));
                    return;
                }
                Map<String, Object> l = Json.parseObject(api.requests(leases).get(api.requests(leases).size() - 1).body());
                @SuppressWarnings("unchecked") Map<String, Object> meta = (Map<String, Object>) l.get("metadata");
                meta.put("resourceVersion", String.valueOf(System.nanoTime()));
                meta.put("namespace", NS); // as the API server answers
                lease.set(Json.write(l));
                StubHttpServer.respond(ex, method.equals("POST") ? 201 : 200, "application/json", lease.get().getBytes(StandardCharsets.UTF_8));
            });
            api.on("/api/v1/namespaces/" + NS + "/pods", ex -> {
                api.record(ex);
                Map<String, Object> pod = Map.of("apiVersion", "v1", "kind", "Pod",
                        "metadata", Map.of("name", "orchestrator-pod-a", "namespace", NS,
                                "labels", Map.of("app.kubernetes.io/name", "media-orchestrator")),
                        "status", Map.of("phase", "Running", "conditions", List.of(Map.of("type", "Ready", "status", "True"))));
                StubHttpServer.respond(ex, 200, "application/json",
                        Json.writeBytes(Map.of("apiVersion", "v1", "kind", "PodList", "metadata", Map.of(), "items", List.of(pod))));
            });

            Config config = Config.fromEnv(Map.of("CLUSTER_SERVICE", "kubernetes", "HOSTNAME", "orchestrator-pod-a"));
            CamelClusterService service = Cluster.service(config, null, "unused", Clock.systemUTC());
            KubernetesClusterService k = (KubernetesClusterService) service;
            k.setMasterUrl(api.base().toString());
            k.setNamespace(NS);
            try (DefaultCamelContext context = new DefaultCamelContext()) {
                context.addService(service);
                context.start();
                Shares shares = Shares.member(config.podName);
                shares.attach(Cluster.view(service));
                Wait.until("the pod leads", Duration.ofSeconds(30), shares::leader);
                try {
                    Wait.until("the lease renewed", Duration.ofSeconds(30), () -> api.requests(leases).stream().anyMatch(r -> r.method().equals("PUT")));
                } catch (AssertionError e) {
                    api.requests.forEach(r -> System.out.println(r.method() + " " + r.path() + " " + r.bodyText()));
                    System.out.println("LEASE " + lease.get());
                    throw e;
                }
            }
            Set<String> asked = new TreeSet<>();
            for (StubHttpServer.Recorded r : api.requests) {
                boolean onLease = r.path().startsWith(leases);
                String verb = switch (r.method()) {
                    case "GET" -> onLease && r.path().length() > leases.length() ? "get" : "list";
                    case "POST" -> "create";
                    case "PUT" -> "update";
                    default -> r.method();
                };
                asked.add((onLease ? "coordination.k8s.io/leases" : "/pods") + ":" + verb);
            }
            assertEquals(Set.of("coordination.k8s.io/leases:get", "coordination.k8s.io/leases:create", "coordination.k8s.io/leases:update",
                    "/pods:list"), asked);
            assertTrue(lease.get().contains("media-orchestrator"), lease.get());
        }
    }
}
