package dev.mediaorchestrator.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The images and compose as operators use them, read from the files (no Docker daemon here;
 * {@code scripts/verify-images} builds and runs them where there is one): the image definitions in
 * {@code containers/} (one Dockerfile, a target per role, the repository root as the build
 * context), every place that builds them pointing there, a restart policy on every compose service,
 * and the downloader's build arguments settable from the environment with the Dockerfile's own
 * defaults.
 */
class ContainersTest {
    static final Path DOCKERFILE = Path.of("containers/Dockerfile");
    private static final Path COMPOSE = Path.of("docker-compose.yml");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** compose service → the Dockerfile target it builds, as scripts/verify-images names them too. */
    private static final Map<String, String> TARGETS = Map.of("orchestrator", "orchestrator",
            "burner-ffmpeg", "burner-ffmpeg", "media-downloader", "media-downloader");
    /** Build arguments an operator behind a mirror or with a newer yt-dlp sets (change a version and its checksums together). */
    private static final List<String> DOWNLOADER_ARGS = List.of("YTDLP_VERSION", "YTDLP_EXTRAS", "DENO_VERSION",
            "DENO_SHA512_AMD64", "DENO_SHA512_ARM64", "MIHOMO_VERSION", "PIP_INDEX_URL");
    /** Build arguments of every image: where Maven and apt get their packages. */
    private static final List<String> MIRROR_ARGS = List.of("MAVEN_MIRROR_URL", "DEBIAN_MIRROR");
    /** `${NAME:-default}` (unset or empty: the default) or `${NAME-default}` (unset only). */
    private static final Pattern FROM_ENV = Pattern.compile("\\$\\{([A-Z0-9_]+)(:?-)(.*)}");

    @Test
    void theImagesAreDefinedUnderContainers() throws IOException {
        assertTrue(Files.isRegularFile(DOCKERFILE), "containers/Dockerfile");
        assertFalse(Files.exists(Path.of("Dockerfile")), "no second Dockerfile at the root");
        Set<String> stages = stages();
        assertTrue(stages.containsAll(TARGETS.values()), "a target per role: " + stages);
        String text = Files.readString(DOCKERFILE);
        for (String target : TARGETS.values()) {
            assertTrue(text.contains("docker build -f containers/Dockerfile --target " + target + " "),
                    "the Dockerfile's header says how to build " + target);
        }
    }

    @Test
    void composeBuildsEachRoleFromContainersWithTheRepositoryAsContext() throws IOException {
        JsonNode services = compose().path("services");
        TARGETS.forEach((service, target) -> {
            JsonNode build = services.path(service).path("build");
            assertEquals(".", build.path("context").asText(), service + ": the build context is the repository root (one jar build)");
            assertEquals(DOCKERFILE.toString(), build.path("dockerfile").asText(), service + ": build.dockerfile");
            assertEquals(target, build.path("target").asText(), service + ": build.target");
        });
    }

    @Test
    void everyComposeServiceRestartsAfterACrash() throws IOException {
        JsonNode services = compose().path("services");
        assertTrue(services.size() >= 4);
        services.fields().forEachRemaining(s -> {
            String restart = s.getValue().path("restart").asText("");
            assertTrue(Set.of("always", "unless-stopped", "on-failure").contains(restart),
                    s.getKey() + ": a restart policy (a runner that dies must not stay down), got '" + restart + "'");
        });
    }

    @Test
    void theDownloadersBuildArgumentsComeFromTheEnvironmentWithTheDockerfilesDefaults() throws IOException {
        Map<String, String> defaults = argDefaults();
        JsonNode args = compose().path("services").path("media-downloader").path("build").path("args");
        List<String> wanted = new ArrayList<>(DOWNLOADER_ARGS);
        wanted.addAll(MIRROR_ARGS);
        for (String name : wanted) {
            assertTrue(defaults.containsKey(name), "the Dockerfile declares ARG " + name + " with a default");
            String value = args.path(name).asText(null);
            assertNotNull(value, "media-downloader build.args." + name);
            Matcher m = FROM_ENV.matcher(value);
            assertTrue(m.matches(), name + ": taken from the environment, got " + value);
            assertEquals(name, m.group(1), name + ": the variable of the same name");
            assertEquals(defaults.get(name), m.group(3), name + ": today's default, as in the Dockerfile");
            // an empty YTDLP_EXTRAS means plain yt-dlp (an index without yt-dlp-ejs): ${X:-d} would turn it back into the default
            assertEquals(name.equals("YTDLP_EXTRAS") || defaults.get(name).isEmpty() ? "-" : ":-", m.group(2),
                    name + ": " + value);
        }
    }

    @Test
    void everyImageTakesTheMirrorsFromTheEnvironment() throws IOException {
        Map<String, String> defaults = argDefaults();
        JsonNode services = compose().path("services");
        for (String service : TARGETS.keySet()) {
            for (String name : MIRROR_ARGS) {
                String value = services.path(service).path("build").path("args").path(name).asText(null);
                assertEquals("${" + name + "-" + defaults.get(name) + "}", value, service + ": build.args." + name);
            }
        }
    }

    @Test
    void verifyImagesBuildsFromContainersWithTheTargetsComposeUses() throws IOException {
        String script = Files.readString(Path.of("scripts/verify-images"));
        Matcher build = Pattern.compile("(?m)^\\s*docker build (.*)$").matcher(script);
        assertTrue(build.find(), "scripts/verify-images runs docker build");
        String line = build.group(1);
        assertTrue(line.contains("-f containers/Dockerfile"), "builds containers/Dockerfile: " + line);
        assertTrue(line.trim().matches(".* \\.( .*)?"), "with the repository root as context: " + line);
        for (String target : TARGETS.values()) {
            assertTrue(script.contains(target + ":$"), "verify-images builds the target " + target);
        }
    }

    @Test
    void everyDocumentedBuildCommandUsesContainers() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(Path.of("README.md"), DOCKERFILE, Path.of("scripts/verify-images")));
        try (Stream<Path> s = Stream.concat(Files.walk(Path.of("docs")), Files.walk(Path.of("deploy")))) {
            s.filter(p -> p.toString().matches(".*\\.(md|ya?ml)$")).forEach(docs::add);
        }
        Pattern dockerBuild = Pattern.compile("docker build [^\\n`]*");
        for (Path doc : docs) {
            Matcher m = dockerBuild.matcher(Files.readString(doc));
            while (m.find()) {
                String cmd = m.group();
                boolean seedsForm = cmd.matches("docker build -t \\S+ containers/(media-downloader|burner-ffmpeg)\\s*");
                assertTrue(seedsForm || cmd.contains("-f containers/Dockerfile"),
                        doc + ": a build command without -f containers/Dockerfile: " + cmd);
            }
            assertFalse(Files.readString(doc).contains("`Dockerfile`"), doc + " still names a Dockerfile at the root");
        }
        String readme = Files.readString(Path.of("README.md"));
        for (String target : TARGETS.values()) {
            assertTrue(readme.contains("docker build -f containers/Dockerfile --target " + target + " -t "), "README: how to build " + target);
        }
        for (String seed : List.of("media-downloader", "burner-ffmpeg")) {
            assertTrue(readme.contains("containers/" + seed), "README: the seed's form next to ours, for " + seed);
        }
    }

    @Test
    void theBuildContextSendsWhatTheDockerfileCopiesAndNotTheBuildOutput() throws IOException {
        List<String> ignored = Files.readAllLines(Path.of(".dockerignore")).stream()
                .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(ignored.contains("target/") && ignored.contains(".git/"), "the jar is built inside; no build output or history sent: " + ignored);
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(\\S+)").matcher(Files.readString(DOCKERFILE));
        int copies = 0;
        while (copy.find()) {
            String source = copy.group(1).replaceFirst("^\\./", "").replaceFirst("/$", "");
            copies++;
            for (String pattern : ignored) {
                String p = pattern.replaceFirst("/$", "");
                assertFalse(source.equals(p) || source.startsWith(p + "/"), ".dockerignore leaves out " + source + ", which the Dockerfile copies");
            }
        }
        assertTrue(copies >= 2, "the Dockerfile copies pom.xml and src from the context");
    }

    private static JsonNode compose() throws IOException {
        return YAML.readTree(COMPOSE.toFile());
    }

    /** The stage names ({@code FROM … AS name}) of the Dockerfile. */
    /**
     * Every role's image runs java under tini: the runtime stage installs it and makes it the
     * ENTRYPOINT, and no stage replaces that (nor does compose or a manifest with a command). As
     * PID 1 the JVM would leave the tools' orphans as zombies (KillMidWorkIT shows both cases).
     */
    @Test
    void everyImageRunsJavaUnderAnInitThatReapsOrphans() throws IOException {
        String text = Files.readString(DOCKERFILE);
        String runtime = text.substring(text.indexOf(" AS runtime"), text.indexOf("\nFROM ", text.indexOf(" AS runtime")));
        assertTrue(Pattern.compile("apt-get install [^\\n]*\\btini\\b").matcher(runtime).find(), "the runtime stage installs tini");
        assertTrue(runtime.contains("ENTRYPOINT [\"/usr/bin/tini\", \"--\"]"), "tini is the runtime stage's ENTRYPOINT");
        assertEquals(1, Pattern.compile("(?m)^ENTRYPOINT ").matcher(text).results().count(), "no stage replaces the ENTRYPOINT");
        for (String target : TARGETS.values()) {
            String stage = text.substring(text.indexOf(" AS " + target));
            stage = stage.contains("\nFROM ") ? stage.substring(0, stage.indexOf("\nFROM ")) : stage;
            assertTrue(stage.contains("CMD [\"java\", \"-jar\""), target + " runs java as tini's command: " + stage);
        }
        assertFalse(Files.readString(COMPOSE).contains("entrypoint:"), "compose keeps the images' ENTRYPOINT");
    }

    private static Set<String> stages() throws IOException {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?mi)^FROM \\S+ AS (\\S+)").matcher(Files.readString(DOCKERFILE));
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** {@code ARG NAME=default} of the Dockerfile (the first declaration with a value). */
    static Map<String, String> argDefaults() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^ARG ([A-Z0-9_]+)=(.*)$").matcher(Files.readString(DOCKERFILE));
        while (m.find()) {
            out.putIfAbsent(m.group(1), m.group(2).trim());
        }
        return out;
    }
}
