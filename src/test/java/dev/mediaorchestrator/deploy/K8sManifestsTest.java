package dev.mediaorchestrator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.mediaorchestrator.support.IntegrationTest;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.databind.json.JsonMapper;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * deploy/k8s (issue 22): {@code kubectl kustomize} renders each overlay, every rendered object is
 * read by the Kubernetes model classes (fabric8) strictly — a field the model does not have, such as
 * a typo, fails — and the rendered objects keep the properties the manifests promise: non-root
 * read-only pods without capabilities, the probes, the disruption budget, an autoscaler per runner,
 * network policies that let only the orchestrator reach the runners, environment variables the
 * service really reads, and placeholders where the secrets go.
 */
@IntegrationTest
class K8sManifestsTest {
    private static final Path K8S = Path.of("deploy/k8s");
    private static final String NS = "media-orchestrator";
    private static final String ORCHESTRATOR = "media-orchestrator";
    private static final Map<String, String> RUNNERS = Map.of("burner-ffmpeg", "CONTAINER_BASE_URL",
            "media-downloader", "CONTAINER_BASE_URL_DOWNLOADER");
    /** Variables the JVM, the OS or a third-party image reads, not our code (POD_IP: Kubernetes expands it into RUNNER_ADVERTISED_URL). */
    private static final Set<String> NOT_OURS = Set.of("JAVA_TOOL_OPTIONS", "LANG", "HOME", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "POD_IP");

    /** kind → model class, by apiVersion/kind: an object of any other kind fails the test. */
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
            Map.entry("v1/Namespace", Namespace.class),
            Map.entry("v1/ServiceAccount", ServiceAccount.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("apps/v1/StatefulSet", StatefulSet.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry("rbac.authorization.k8s.io/v1/Role", Role.class),
            Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class));

    /**
     * The model classes keep unknown fields in {@code additionalProperties} (a {@code @JsonAnySetter});
     * with any-setters ignored and FAIL_ON_UNKNOWN_PROPERTIES on, an unknown field is an error.
     */
    static final JsonMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(MapperConfig<?> config, Annotated a) {
                    return null;
                }
            })
            .build();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    // ------------------------------------------------------------------ rendering and parsing

    private static String kubectl() {
        for (String dir : Objects.requireNonNullElse(System.getenv("PATH"), "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "kubectl");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** {@code kubectl kustomize dir}: the rendered YAML (kubectl missing: the test is skipped, saying so). */
    static String render(Path dir, String... flags) throws IOException, InterruptedException {
        String kubectl = kubectl();
        Assumptions.assumeTrue(kubectl != null,
                "kubectl is not on PATH: deploy/k8s is not rendered nor checked (install kubectl 1.27+, which has kustomize built in)");
        List<String> cmd = new ArrayList<>(List.of(kubectl, "kustomize"));
        cmd.addAll(List.of(flags));
        cmd.add(dir.toString());
        Path err = Files.createTempFile("kustomize", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + dir + " did not finish");
            assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + " failed: " + Files.readString(err));
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** Every document of a rendered stream, read by its model class, strictly. */
    static List<HasMetadata> parse(String yaml) throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
                Class<? extends HasMetadata> type = KINDS.get(key);
                assertNotNull(type, "an object of a kind this test does not know: " + key + " " + doc.path("metadata").path("name"));
                try {
                    out.add(STRICT.readValue(JSON.writeValueAsString(doc), type));
                } catch (RuntimeException e) {
                    throw new AssertionError(key + " " + doc.path("metadata").path("name").asText() + ": " + e.getMessage(), e);
                }
            }
        }
        return out;
    }

    /** A YAML document to the model class, strictly (one object). */
    static HasMetadata parseOne(String yaml) throws IOException {
        List<HasMetadata> all = parse(yaml);
        assertEquals(1, all.size());
        return all.get(0);
    }

    /** Each overlay is rendered once for all the tests of this class. */
    private static final Map<String, Rendered> RENDERED = new ConcurrentHashMap<>();

    private static synchronized Rendered overlay(String name) throws Exception {
        Rendered r = RENDERED.get(name);
        if (r == null) {
            r = new Rendered(parse(render(K8S.resolve("overlays").resolve(name))));
            RENDERED.put(name, r);
        }
        return r;
    }

    /** The objects of one rendering, looked up by kind and name. */
    record Rendered(List<HasMetadata> all) {
        <T extends HasMetadata> List<T> of(Class<T> type) {
            return all.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> T get(Class<T> type, String name) {
            return of(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
        }

        /** Every pod template (Deployments and StatefulSets) with the names of its volume claims. */
        Map<String, Pods> podTemplates() {
            Map<String, Pods> m = new LinkedHashMap<>();
            of(Deployment.class).forEach(d -> m.put("Deployment " + d.getMetadata().getName(), new Pods(d.getSpec().getTemplate(), Set.of())));
            of(StatefulSet.class).forEach(s -> m.put("StatefulSet " + s.getMetadata().getName(), new Pods(s.getSpec().getTemplate(),
                    Set.copyOf(s.getSpec().getVolumeClaimTemplates().stream().map(c -> c.getMetadata().getName()).toList()))));
            return m;
        }

        Map<String, String> podLabels(String deployment) {
            return get(Deployment.class, deployment).getSpec().getTemplate().getMetadata().getLabels();
        }

        /** The data of a ConfigMap by its name before kustomize's hash suffix. */
        Map<String, String> configMap(String generatedName) {
            return of(ConfigMap.class).stream().filter(c -> c.getMetadata().getName().startsWith(generatedName + "-"))
                    .findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + generatedName)).getData();
        }

        /** A container's environment: its env values, and every key of the ConfigMaps it takes whole (envFrom). */
        Map<String, String> environment(Container c) {
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvFromSource from : c.getEnvFrom()) {
                assertNotNull(from.getConfigMapRef(), "envFrom takes ConfigMaps only (secrets go in one by one)");
                String name = from.getConfigMapRef().getName();
                ConfigMap cm = get(ConfigMap.class, name);
                env.putAll(cm.getData());
            }
            for (EnvVar e : c.getEnv()) {
                if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                    var ref = e.getValueFrom().getSecretKeyRef();
                    Secret s = get(Secret.class, ref.getName());
                    assertTrue(s.getData().containsKey(ref.getKey()) || Boolean.TRUE.equals(ref.getOptional()),
                            e.getName() + ": the Secret " + ref.getName() + " has no key " + ref.getKey() + " (and the reference is not optional)");
                    env.put(e.getName(), "<secret>");
                } else if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
                    env.put(e.getName(), "<field " + e.getValueFrom().getFieldRef().getFieldPath() + ">");
                } else {
                    env.put(e.getName(), e.getValue());
                }
            }
            return env;
        }
    }

    record Pods(PodTemplateSpec template, Set<String> claims) {
    }

    // ------------------------------------------------------------------ the tests

    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void eachOverlayRendersAndEveryObjectIsAModelObject(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        Set<String> kinds = new HashSet<>();
        for (HasMetadata o : r.all()) {
            kinds.add(o.getKind());
            if (!(o instanceof Namespace)) {
                assertEquals(NS, o.getMetadata().getNamespace(), o.getKind() + " " + o.getMetadata().getName());
            }
        }
        assertTrue(kinds.containsAll(Set.of("Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                "NetworkPolicy", "Secret", "ConfigMap")), kinds.toString());
        assertEquals(overlay.equals("minio"), !r.of(StatefulSet.class).isEmpty(), "MinIO runs in the cluster only in overlays/minio");
    }

    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void everyPodIsNonRootReadOnlyWithoutCapabilities(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        assertFalse(r.podTemplates().isEmpty());
        r.podTemplates().forEach((what, pods) -> {
            PodSpec pod = pods.template().getSpec();
            var psc = pod.getSecurityContext();
            assertNotNull(psc, what + ": pod securityContext");
            assertEquals(Boolean.TRUE, psc.getRunAsNonRoot(), what + ": runAsNonRoot");
            assertTrue(psc.getRunAsUser() != null && psc.getRunAsUser() > 0, what + ": runAsUser is a non-root uid");
            assertEquals("RuntimeDefault", psc.getSeccompProfile().getType(), what + ": seccomp");
            // the orchestrator's cluster service talks to the API (its Role: orchestratorMayOnlyKeepItsLeaseAndListItsPods)
            assertEquals(!what.equals("Deployment " + ORCHESTRATOR), pod.getAutomountServiceAccountToken() == Boolean.FALSE,
                    what + ": an API token in the orchestrator's pods only");
            Map<String, Volume> volumes = new LinkedHashMap<>();
            pod.getVolumes().forEach(v -> volumes.put(v.getName(), v));
            List<Container> containers = new ArrayList<>(pod.getContainers());
            containers.addAll(pod.getInitContainers());
            for (Container c : containers) {
                String where = what + " container " + c.getName();
                var sc = c.getSecurityContext();
                assertNotNull(sc, where + ": securityContext");
                assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), where + ": allowPrivilegeEscalation");
                assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), where + ": readOnlyRootFilesystem");
                assertNotEquals0(sc.getRunAsUser(), where);
                assertNotNull(sc.getCapabilities(), where + ": capabilities");
                assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), where + ": capabilities drop ALL");
                assertTrue(sc.getCapabilities().getAdd().isEmpty(), where + ": no capability added");
                assertNotEquals(Boolean.TRUE, sc.getPrivileged(), where + ": privileged");
                // the root filesystem is read-only: /tmp and every other writable place is a volume
                Set<String> mounted = new HashSet<>();
                for (VolumeMount m : c.getVolumeMounts()) {
                    Volume v = volumes.get(m.getName());
                    assertTrue(v != null && v.getEmptyDir() != null || v == null && pods.claims().contains(m.getName()),
                            where + ": " + m.getMountPath() + " is an emptyDir (or the StatefulSet's claim)");
                    mounted.add(m.getMountPath());
                }
                assertTrue(mounted.contains("/tmp"), where + ": a writable /tmp");
                assertNotNull(c.getResources().getRequests().get("cpu"), where + ": cpu request");
                assertNotNull(c.getResources().getRequests().get("memory"), where + ": memory request");
                assertNotNull(c.getResources().getLimits().get("memory"), where + ": memory limit");
                assertNotNull(c.getLivenessProbe(), where + ": liveness probe");
                assertNotNull(c.getReadinessProbe(), where + ": readiness probe");
                for (Probe p : Stream.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe()).filter(Objects::nonNull).toList()) {
                    String port = p.getHttpGet().getPort().getStrVal();
                    assertTrue(c.getPorts().stream().map(ContainerPort::getName).anyMatch(port::equals), where + ": a probe on the named port " + port);
                }
            }
        });
    }

    private static void assertNotEquals0(Long uid, String where) {
        assertTrue(uid == null || uid != 0, where + ": runAsUser 0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void orchestratorReplicasProbesAndDisruptionBudget(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        Deployment d = r.get(Deployment.class, ORCHESTRATOR);
        assertTrue(d.getSpec().getReplicas() >= 2, "2+ orchestrators");
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("/health/ready", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/health/live", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals(8787, c.getPorts().get(0).getContainerPort());
        List<PodDisruptionBudget> pdbs = r.of(PodDisruptionBudget.class).stream()
                .filter(p -> selects(p.getSpec().getSelector(), r.podLabels(ORCHESTRATOR))).toList();
        assertEquals(1, pdbs.size(), "one PodDisruptionBudget for the orchestrator");
        var pdb = pdbs.get(0).getSpec();
        assertTrue(pdb.getMinAvailable() != null && pdb.getMinAvailable().getIntVal() != null
                && pdb.getMinAvailable().getIntVal() >= 1 && pdb.getMinAvailable().getIntVal() < d.getSpec().getReplicas(),
                "minAvailable keeps one up and lets a node drain: " + pdb.getMinAvailable());
        Service s = r.get(Service.class, ORCHESTRATOR);
        assertEquals(d.getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/name"),
                s.getSpec().getSelector().get("app.kubernetes.io/name"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void eachRunnerHasAServiceResourcesAndACpuAutoscaler(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        Map<String, String> orchestratorEnv = r.environment(r.get(Deployment.class, ORCHESTRATOR).getSpec().getTemplate().getSpec().getContainers().get(0));
        for (var runner : RUNNERS.entrySet()) {
            String name = runner.getKey();
            Deployment d = r.get(Deployment.class, name);
            Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            int port = c.getPorts().get(0).getContainerPort();
            Map<String, String> env = r.environment(c);
            assertEquals(String.valueOf(port), env.get("PORT"), name + ": PORT is the container port");
            Service s = r.get(Service.class, name);
            assertTrue(selects(LabelSelector(s.getSpec().getSelector()), r.podLabels(name)), name + ": its Service selects its pods");
            assertEquals(port, s.getSpec().getPorts().get(0).getPort(), name + ": the Service's port");
            // the orchestrator dispatches to that Service
            assertEquals("http://" + name + ":" + port, orchestratorEnv.get(runner.getValue()), runner.getValue());
            var res = c.getResources();
            for (String k : List.of("cpu", "memory")) {
                assertNotNull(res.getRequests().get(k), name + ": request " + k);
                assertNotNull(res.getLimits().get(k), name + ": limit " + k);
            }
            List<HorizontalPodAutoscaler> hpas = r.of(HorizontalPodAutoscaler.class).stream()
                    .filter(h -> h.getSpec().getScaleTargetRef().getKind().equals("Deployment")
                            && h.getSpec().getScaleTargetRef().getName().equals(name)).toList();
            assertEquals(1, hpas.size(), name + ": one HorizontalPodAutoscaler");
            var hpa = hpas.get(0).getSpec();
            assertTrue(hpa.getMinReplicas() >= 1, name + ": at least one pod (the orchestrators' readiness asks each runner)");
            assertTrue(hpa.getMaxReplicas() > hpa.getMinReplicas(), name + ": room to scale");
            assertTrue(hpa.getMetrics().stream().anyMatch(m -> m.getResource() != null && m.getResource().getName().equals("cpu")),
                    name + ": scales on CPU");
        }
        assertEquals("http://" + ORCHESTRATOR + ":8787", orchestratorEnv.get("ORCHESTRATOR_BASE_URL_CONTAINER"));
    }

    private static LabelSelector LabelSelector(Map<String, String> matchLabels) {
        LabelSelector s = new LabelSelector();
        s.setMatchLabels(matchLabels);
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void environmentVariablesAreOnesTheServiceReads(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        Set<String> read = namesReadByTheCode();
        assertTrue(read.containsAll(Set.of("ROLES", "R2_S3_ENDPOINT", "RUNNER_WORK_DIR", "JOB_MAX_ATTEMPTS")), "the scan finds the names");
        Map<String, String> roles = Map.of(ORCHESTRATOR, "orchestrator", "burner-ffmpeg", "burner", "media-downloader", "downloader");
        roles.forEach((deployment, role) -> {
            Container c = r.get(Deployment.class, deployment).getSpec().getTemplate().getSpec().getContainers().get(0);
            Map<String, String> env = r.environment(c);
            for (String name : env.keySet()) {
                assertTrue(read.contains(name) || NOT_OURS.contains(name), deployment + ": " + name + " is read by no code in src/main/java");
            }
            assertEquals(role, env.get("ROLES"), deployment + ": ROLES");
            assertEquals("0.0.0.0", env.get("HOST"), deployment + ": HOST");
            assertEquals("<secret>", env.get("JOB_CALLBACK_HMAC_SECRET"), deployment + ": the HMAC secret from a Secret");
            if (!role.equals("orchestrator")) {
                String work = env.get("RUNNER_WORK_DIR");
                assertTrue(work != null && c.getVolumeMounts().stream().anyMatch(m -> work.startsWith(m.getMountPath() + "/")),
                        deployment + ": RUNNER_WORK_DIR " + work + " is on a volume");
            }
        });
        Map<String, String> orchestrator = r.environment(r.get(Deployment.class, ORCHESTRATOR).getSpec().getTemplate().getSpec().getContainers().get(0));
        assertNotNull(orchestrator.get("R2_S3_ENDPOINT"), "a shared bucket: without R2_S3_ENDPOINT each replica starts its own embedded store");
        assertEquals("<secret>", orchestrator.get("R2_ACCESS_KEY_ID"));
        assertEquals("<secret>", orchestrator.get("R2_SECRET_ACCESS_KEY"));
        assertTrue(r.configMap("media-orchestrator-bucket").keySet().stream().noneMatch(k -> k.contains("SECRET") || k.contains("KEY_ID")),
                "no key in a ConfigMap");
    }

    /**
     * Issue 29: the orchestrators divide the open jobs through Camel's Kubernetes cluster service.
     * Their ServiceAccount may do exactly what it does: get, create and update Leases (the leader)
     * and list pods (the members); the Deployment chooses it, and its pods carry the labels it lists.
     */
    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void orchestratorMayOnlyKeepItsLeaseAndListItsPods(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        var pod = r.get(Deployment.class, ORCHESTRATOR).getSpec().getTemplate();
        String account = pod.getSpec().getServiceAccountName();
        assertEquals("kubernetes", r.environment(pod.getSpec().getContainers().get(0)).get("CLUSTER_SERVICE"));
        assertEquals(ORCHESTRATOR, pod.getMetadata().getLabels().get("app.kubernetes.io/name"), "the members' label");
        List<RoleBinding> bindings = r.of(RoleBinding.class).stream()
                .filter(b -> b.getSubjects().stream().anyMatch(x -> "ServiceAccount".equals(x.getKind()) && account.equals(x.getName())))
                .toList();
        assertEquals(1, bindings.size(), "one binding for " + account);
        assertEquals("Role", bindings.get(0).getRoleRef().getKind(), "a Role in the namespace, not a ClusterRole");
        for (RoleBinding b : r.of(RoleBinding.class)) {
            assertTrue(b.getSubjects().stream().allMatch(x -> account.equals(x.getName())), "no other account is bound: " + b.getMetadata().getName());
        }
        Role role = r.get(Role.class, bindings.get(0).getRoleRef().getName());
        Set<String> granted = new HashSet<>();
        for (PolicyRule rule : role.getRules()) {
            assertTrue(rule.getResourceNames().isEmpty() && rule.getNonResourceURLs().isEmpty(), rule.toString());
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        granted.add(group + "/" + resource + ":" + verb);
                    }
                }
            }
        }
        assertEquals(Set.of("coordination.k8s.io/leases:get", "coordination.k8s.io/leases:create", "coordination.k8s.io/leases:update",
                "/pods:list"), granted);
        assertEquals(1, r.of(Role.class).size(), "the only Role");
    }

    /** Every upper-case string literal that names a variable in the service's code (Config, RunnerConfig, Env lookups). */
    static Set<String> namesReadByTheCode() throws IOException {
        Set<String> names = new HashSet<>();
        Pattern literal = Pattern.compile("\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})\"");
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = literal.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        // Config composes the per-engine timeouts: JOB_TIMEOUT_SECONDS_ + the engine in upper case
        names.addAll(List.of("JOB_TIMEOUT_SECONDS_BURNER_FFMPEG", "JOB_TIMEOUT_SECONDS_MEDIA_DOWNLOADER", "JOB_TIMEOUT_SECONDS_RENDERER_REMOTION"));
        return names;
    }

    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void secretsHoldPlaceholdersOnly(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        assertFalse(r.of(Secret.class).isEmpty());
        for (Secret s : r.of(Secret.class)) {
            assertTrue(s.getStringData() == null || s.getStringData().isEmpty(), s.getMetadata().getName());
            s.getData().forEach((k, v) -> assertTrue(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8).startsWith("REPLACE-ME"),
                    s.getMetadata().getName() + "." + k + " is a placeholder, never a real value"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void networkPoliciesLetOnlyTheOrchestratorReachTheRunners(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        List<NetworkPolicy> policies = r.of(NetworkPolicy.class);
        // everything is denied unless allowed: a policy selects every pod for ingress and egress, with no rule
        assertTrue(policies.stream().anyMatch(p -> isEmpty(p.getSpec().getPodSelector())
                && p.getSpec().getPolicyTypes().containsAll(List.of("Ingress", "Egress"))
                && p.getSpec().getIngress().isEmpty() && p.getSpec().getEgress().isEmpty()), "a default deny");
        Map<String, String> orchestratorPods = r.podLabels(ORCHESTRATOR);
        for (String runner : RUNNERS.keySet()) {
            Map<String, String> pods = r.podLabels(runner);
            List<NetworkPolicyIngressRule> rules = ingressRules(policies, pods);
            assertFalse(rules.isEmpty(), runner + ": some ingress is allowed (from the orchestrator)");
            int port = r.get(Deployment.class, runner).getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().get(0).getContainerPort();
            boolean orchestratorAllowed = false;
            for (NetworkPolicyIngressRule rule : rules) {
                assertFalse(rule.getFrom().isEmpty(), runner + ": an ingress rule without 'from' lets everyone in");
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    assertTrue(peer.getIpBlock() == null && peer.getNamespaceSelector() == null, runner + ": only pods of this namespace: " + peer);
                    assertTrue(selects(peer.getPodSelector(), orchestratorPods), runner + ": a peer other than the orchestrator: " + peer);
                    for (String other : RUNNERS.keySet()) {
                        assertFalse(selects(peer.getPodSelector(), r.podLabels(other)), runner + ": reachable from the runner " + other);
                    }
                }
                orchestratorAllowed |= rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == port);
            }
            assertTrue(orchestratorAllowed, runner + ": the orchestrator reaches port " + port);
        }
        // the orchestrator: from the app's namespace and from the runners (their callbacks)
        List<NetworkPolicyIngressRule> rules = ingressRules(policies, orchestratorPods);
        List<NetworkPolicyPeer> peers = rules.stream().flatMap(x -> x.getFrom().stream()).toList();
        assertTrue(rules.stream().noneMatch(x -> x.getFrom().isEmpty()), "no open ingress to the orchestrator");
        assertTrue(peers.stream().anyMatch(p -> p.getNamespaceSelector() != null && p.getPodSelector() == null
                && p.getNamespaceSelector().getMatchLabels().containsKey("kubernetes.io/metadata.name")), "from the app's namespace");
        for (String runner : RUNNERS.keySet()) {
            assertTrue(peers.stream().anyMatch(p -> p.getNamespaceSelector() == null && p.getPodSelector() != null
                    && selects(p.getPodSelector(), r.podLabels(runner))), "the runner " + runner + "'s callbacks");
        }
        assertTrue(peers.stream().allMatch(p -> p.getIpBlock() == null), "no address range reaches the orchestrator");
    }

    /**
     * Issue 29: each runner pod tells the orchestrator its own address (RUNNER_ADVERTISED_URL, from the
     * pod's IP by the downward API, on the container's port, which is its Service's), and the network
     * policies let the orchestrator reach the runner pods themselves on that port, not only the Service.
     */
    @ParameterizedTest
    @ValueSource(strings = {"r2", "minio"})
    void runnerPodsAdvertiseTheirOwnAddressAndTheOrchestratorMayReachIt(String overlay) throws Exception {
        Rendered r = overlay(overlay);
        List<NetworkPolicy> policies = r.of(NetworkPolicy.class);
        Map<String, String> orchestratorPods = r.podLabels(ORCHESTRATOR);
        for (String runner : RUNNERS.keySet()) {
            Container c = r.get(Deployment.class, runner).getSpec().getTemplate().getSpec().getContainers().get(0);
            int port = c.getPorts().get(0).getContainerPort();
            List<String> names = c.getEnv().stream().map(EnvVar::getName).toList();
            Map<String, String> env = r.environment(c);
            assertEquals("<field status.podIP>", env.get("POD_IP"), runner + ": POD_IP from the downward API");
            assertEquals("http://$(POD_IP):" + port, env.get("RUNNER_ADVERTISED_URL"), runner + ": its own address on its port");
            assertTrue(names.indexOf("POD_IP") < names.indexOf("RUNNER_ADVERTISED_URL"),
                    runner + ": POD_IP is defined before the variable that uses it (Kubernetes expands only earlier ones)");
            assertEquals(port, r.get(Service.class, runner).getSpec().getPorts().get(0).getPort(),
                    runner + ": the Service's port is the pod's (the orchestrator uses a pod address only on its Service's port)");
            boolean egress = policies.stream().filter(p -> selects(p.getSpec().getPodSelector(), orchestratorPods))
                    .flatMap(p -> p.getSpec().getEgress().stream())
                    .anyMatch(rule -> rule.getTo().stream().anyMatch(peer -> peer.getIpBlock() == null && selects(peer.getPodSelector(), r.podLabels(runner)))
                            && rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == port));
            assertTrue(egress, runner + ": the orchestrator may reach its pods on " + port);
            boolean ingress = ingressRules(policies, r.podLabels(runner)).stream()
                    .anyMatch(rule -> rule.getFrom().stream().anyMatch(peer -> selects(peer.getPodSelector(), orchestratorPods))
                            && rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == port));
            assertTrue(ingress, runner + ": its pods take the orchestrator's requests on " + port);
        }
    }

    /** The ingress rules of every policy that selects pods with these labels. */
    private static List<NetworkPolicyIngressRule> ingressRules(List<NetworkPolicy> policies, Map<String, String> pod) {
        return policies.stream().filter(p -> selects(p.getSpec().getPodSelector(), pod))
                .flatMap(p -> p.getSpec().getIngress().stream()).toList();
    }

    private static boolean isEmpty(LabelSelector s) {
        return s == null || (s.getMatchLabels().isEmpty() && s.getMatchExpressions().isEmpty());
    }

    /** A label selector as Kubernetes reads it: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
    static boolean selects(LabelSelector s, Map<String, String> labels) {
        if (s == null) {
            return false;
        }
        for (var e : s.getMatchLabels().entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (LabelSelectorRequirement req : s.getMatchExpressions()) {
            String v = labels.get(req.getKey());
            boolean ok = switch (req.getOperator()) {
                case "In" -> v != null && req.getValues().contains(v);
                case "NotIn" -> v == null || !req.getValues().contains(v);
                case "Exists" -> v != null;
                case "DoesNotExist" -> v == null;
                default -> throw new AssertionError("unknown operator " + req.getOperator());
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The optional KEDA component: ScaledObjects on the queued-jobs metric replace the CPU autoscalers. */
    @Test
    void kedaComponentScalesRunnersOnTheQueuedJobsMetric(@TempDir Path dir) throws Exception {
        String metric = queuedJobsMetric();
        // kustomize takes relative paths only
        Path k8s = dir.toRealPath().relativize(K8S.toRealPath());
        Files.writeString(dir.resolve("kustomization.yaml"), "namespace: " + NS + "\nresources:\n  - "
                + k8s.resolve("overlays/r2") + "\ncomponents:\n  - " + k8s.resolve("components/keda") + "\n");
        String yaml = render(dir);
        List<JsonNode> scaled = new ArrayList<>();
        StringBuilder rest = new StringBuilder();
        try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if ("ScaledObject".equals(doc.path("kind").asText())) {
                    scaled.add(doc);
                } else {
                    rest.append("---\n").append(YAML.writeValueAsString(doc).replaceFirst("^---\\n", ""));
                }
            }
        }
        Rendered r = new Rendered(parse(rest.toString()));
        assertTrue(r.of(HorizontalPodAutoscaler.class).isEmpty(), "the CPU autoscalers are replaced, not doubled");
        assertEquals(RUNNERS.keySet(), Set.copyOf(scaled.stream().map(s -> s.path("spec").path("scaleTargetRef").path("name").asText()).toList()));
        for (JsonNode s : scaled) {
            String target = s.path("spec").path("scaleTargetRef").path("name").asText();
            r.get(Deployment.class, target);
            assertEquals(NS, s.path("metadata").path("namespace").asText());
            assertTrue(s.path("spec").path("minReplicaCount").asInt() >= 1, target + ": at least one pod");
            JsonNode trigger = s.path("spec").path("triggers").get(0);
            assertEquals("prometheus", trigger.path("type").asText());
            String query = trigger.path("metadata").path("query").asText();
            assertTrue(query.contains(metric + "{engine=\"" + target + "\"}"), target + ": " + query);
        }
    }

    /**
     * The optional monitoring component: its PrometheusRule holds exactly the rules of
     * deploy/monitoring/alerts.rules.yml (as rendered, what the operator gets), its PodMonitor scrapes
     * the orchestrator and both runners on their named port under the job names the rules expect, and
     * Prometheus' namespace may reach the runners' port.
     */
    @Test
    void monitoringComponentCarriesTheRuleFileAndScrapesEveryProcess(@TempDir Path dir) throws Exception {
        Path k8s = dir.toRealPath().relativize(K8S.toRealPath());
        Files.writeString(dir.resolve("kustomization.yaml"), "namespace: " + NS + "\nresources:\n  - "
                + k8s.resolve("overlays/r2") + "\ncomponents:\n  - " + k8s.resolve("components/monitoring") + "\n");
        Map<String, JsonNode> operator = new LinkedHashMap<>();
        StringBuilder rest = new StringBuilder();
        try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(render(dir))) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc.path("apiVersion").asText().startsWith("monitoring.coreos.com/")) {
                    operator.put(doc.path("kind").asText(), doc);
                } else {
                    rest.append("---\n").append(YAML.writeValueAsString(doc).replaceFirst("^---\\n", ""));
                }
            }
        }
        assertEquals(Set.of("PrometheusRule", "PodMonitor"), operator.keySet());
        JsonNode ruleFile = YAML.readTree(Path.of("deploy/monitoring/alerts.rules.yml").toFile());
        JsonNode rule = operator.get("PrometheusRule");
        assertEquals(NS, rule.path("metadata").path("namespace").asText());
        assertEquals(ruleFile.path("groups"), rule.path("spec").path("groups"),
                "components/monitoring/prometheus-rule.yaml holds other rules than deploy/monitoring/alerts.rules.yml: copy the rule file's groups under spec");
        assertEquals(ruleFile.path("groups"), YAML.readTree(K8S.resolve("components/monitoring/prometheus-rule.yaml").toFile()).path("spec").path("groups"));

        Rendered r = new Rendered(parse(rest.toString()));
        JsonNode monitor = operator.get("PodMonitor").path("spec");
        assertEquals("app.kubernetes.io/name", monitor.path("jobLabel").asText(), "job = the pod's name label, as the rules' up{job=~…} expects");
        LabelSelector selector = STRICT.readValue(JSON.writeValueAsString(monitor.path("selector")), LabelSelector.class);
        String port = monitor.path("podMetricsEndpoints").get(0).path("port").asText();
        assertEquals("/metrics", monitor.path("podMetricsEndpoints").get(0).path("path").asText());
        List<String> jobs = new ArrayList<>();
        for (String name : List.of(ORCHESTRATOR, "burner-ffmpeg", "media-downloader")) {
            Map<String, String> pod = r.podLabels(name);
            assertTrue(selects(selector, pod), "the PodMonitor scrapes " + name);
            jobs.add(pod.get("app.kubernetes.io/name"));
            Container c = r.get(Deployment.class, name).getSpec().getTemplate().getSpec().getContainers().get(0);
            int number = c.getPorts().stream().filter(p -> p.getName().equals(port)).findFirst()
                    .orElseThrow(() -> new AssertionError(name + ": no port named " + port)).getContainerPort();
            // Prometheus' namespace reaches that port
            boolean allowed = ingressRules(r.of(NetworkPolicy.class), pod).stream().anyMatch(in -> in.getFrom().stream()
                    .anyMatch(peer -> peer.getNamespaceSelector() != null && peer.getPodSelector() == null
                            && "monitoring".equals(peer.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name")))
                    && in.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == number));
            assertTrue(allowed, name + ": Prometheus (namespace monitoring) may scrape port " + number);
        }
        String up = AlertRulesTest.alerts(ruleFile).get("MediaOrchTargetDown").path("expr").asText();
        assertTrue(up.contains("job=~\"" + String.join("|", jobs) + "\""), up);
    }

    /** The Prometheus name of the orchestrator's queue-depth gauge, as Metrics.java registers it. */
    private static String queuedJobsMetric() throws IOException {
        String source = Files.readString(Path.of("src/main/java/dev/mediaorchestrator/observability/Metrics.java"));
        Matcher prefix = Pattern.compile("PREFIX = \"([a-z.]+)\"").matcher(source);
        assertTrue(prefix.find() && source.contains("Gauge.builder(PREFIX + \"jobs.queued\""), "Metrics.java registers jobs.queued");
        return (prefix.group(1) + "jobs.queued").replace('.', '_');
    }

    /** The strict reading is what makes a typo fail: a misspelt field of a rendered object is an error, not an extra. */
    @Test
    void aTypoInAFieldFailsTheParse() throws Exception {
        String yaml = render(K8S.resolve("overlays/r2"));
        String deployment = Stream.of(yaml.split("(?m)^---\\n")).filter(d -> d.contains("kind: Deployment") && d.contains("name: burner-ffmpeg\n"))
                .findFirst().orElseThrow();
        assertTrue(parseOne(deployment) instanceof Deployment);
        for (String[] typo : new String[][]{{"readOnlyRootFilesystem", "readOnlyRootFileSystem"}, {"allowPrivilegeEscalation", "allowPriviledgeEscalation"},
                {"readinessProbe", "readynessProbe"}, {"runAsNonRoot", "runAsNoRoot"}}) {
            assertTrue(deployment.contains(typo[0]), typo[0]);
            AssertionError e = assertThrows(AssertionError.class, () -> parseOne(deployment.replaceFirst(typo[0], typo[1])), typo[1]);
            assertTrue(e.getMessage().contains(typo[1]), e.getMessage());
        }
        // and the lenient default would have let it pass into additionalProperties
        String bad = deployment.replaceFirst("readOnlyRootFilesystem", "readOnlyRootFileSystem");
        JsonNode tree = YAML.readTree(bad);
        Deployment lenient = JsonMapper.builder().build().readValue(JSON.writeValueAsString(tree), Deployment.class);
        var sc = lenient.getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext();
        assertEquals(null, sc.getReadOnlyRootFilesystem());
        assertTrue(sc.getAdditionalProperties().containsKey("readOnlyRootFileSystem"));
    }
}
