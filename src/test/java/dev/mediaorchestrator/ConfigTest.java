package dev.mediaorchestrator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigTest {
    @Test
    void defaultsFollowTheContract() {
        Config c = Config.fromEnv(Map.of());
        assertEquals(8787, c.port);
        assertEquals(86400, c.jobTtlSeconds);
        assertEquals(600, c.presignTtlSeconds);
        assertEquals("vidgen-render", c.bucket);
        assertEquals("auto", c.region);
        assertTrue(c.mirrorInputs);
        assertNull(c.s3Endpoint, "no endpoint means the embedded store");
        assertEquals(Config.TransferMode.FALLBACK, c.transferMode);
        assertEquals("127.0.0.1", c.host, "without a secret the service binds to loopback");
        assertEquals("http://127.0.0.1:8787/runners/burner-ffmpeg", c.runnerBaseUrl("burner-ffmpeg").toString());
        assertEquals("http://127.0.0.1:8787/runners/media-downloader", c.runnerBaseUrl("media-downloader").toString());
    }

    @Test
    void bareR2HostMeansHttpsAndDirectMode() {
        Config c = Config.fromEnv(Map.of("R2_S3_ENDPOINT", "acct.r2.cloudflarestorage.com",
                "R2_ACCESS_KEY_ID", "k", "R2_SECRET_ACCESS_KEY", "s"));
        assertEquals("https://acct.r2.cloudflarestorage.com", c.s3Endpoint.toString());
        assertEquals(Config.TransferMode.DIRECT, c.transferMode);
        assertTrue(c.artifactsRedirect, "direct mode with a store: /artifacts redirects");
    }

    @Test
    void artifactsRedirectDefaultsToDirectModeWithAnS3Endpoint() {
        Map<String, String> r2 = Map.of("R2_S3_ENDPOINT", "acct.r2.cloudflarestorage.com", "R2_ACCESS_KEY_ID", "k", "R2_SECRET_ACCESS_KEY", "s");
        assertFalse(Config.fromEnv(Map.of()).artifactsRedirect, "the embedded store: its files are sent");
        assertFalse(Config.fromEnv(Map.of("TRANSFER_MODE", "direct")).artifactsRedirect, "direct on the embedded store (loopback only)");
        Map<String, String> fallback = new HashMap<>(r2);
        fallback.put("TRANSFER_MODE", "fallback");
        assertFalse(Config.fromEnv(fallback).artifactsRedirect);
        Map<String, String> off = new HashMap<>(r2);
        off.put("ARTIFACTS_REDIRECT", "false");
        assertFalse(Config.fromEnv(off).artifactsRedirect);
        assertTrue(Config.fromEnv(Map.of("ARTIFACTS_REDIRECT", "true")).artifactsRedirect, "asked for: on anywhere");
    }

    @Test
    void downloaderAndRemotionFallBackToTheBurnerUrl() {
        Config c = Config.fromEnv(Map.of("CONTAINER_BASE_URL", "http://burner:8080", "ROLES", "orchestrator"));
        assertEquals("http://burner:8080", c.runnerBaseUrl("media-downloader").toString());
        assertEquals("http://burner:8080", c.runnerBaseUrl("renderer-remotion").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "JOB_TTL_SECONDS|abc",
            "JOB_TTL_SECONDS|-5",
            "PRESIGN_TTL_SECONDS|10m",
            "PRESIGN_TTL_SECONDS|9999999",
            "PORT|70000",
            "MIRROR_INPUTS|maybe",
            "ARTIFACTS_REDIRECT|sometimes",
            "NEXT_BASE_URL|http://",
            "NEXT_BASE_URL|ftp://host/x",
            "NEXT_BASE_URL|not a url",
            "CONTAINER_BASE_URL|http:///nohost",
            "ORCHESTRATOR_BASE_URL_NEXT|https://x?y=1",
            "R2_BUCKET_NAME|Bad_Bucket",
            "TRANSFER_MODE|sideways",
            "ROLES|orchestrator,cook",
            "RUNNER_COMPLETED_GRACE_SECONDS|0",
            "RUNNER_ADDRESS_CIDRS|10.0.0.0/33",
            "RUNNER_ADDRESS_CIDRS|pods.internal/16",
            "RUNNER_ADDRESS_CIDRS|10.0.0.0/8;172.16.0.0/12",
    })
    void malformedValuesNameTheVariable(String name, String value) {
        Map<String, String> env = new HashMap<>();
        env.put(name, value);
        Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> Config.fromEnv(env));
        assertTrue(e.getMessage().startsWith(name + ":"), e.getMessage());
    }

    /** Issue 32: BURN_SEGMENT_SECONDS is 300 by default, 0 turns splitting off, anything else malformed names the variable. */
    @Test
    void burnSegmentSecondsIsOffWithZeroAndCheckedOtherwise() {
        assertEquals(300, Config.fromEnv(Map.of()).burnSegmentSeconds);
        assertEquals(0, Config.fromEnv(Map.of("BURN_SEGMENT_SECONDS", "0")).burnSegmentSeconds);
        assertEquals(4, Config.fromEnv(Map.of("BURN_SEGMENT_SECONDS", "4")).burnSegmentSeconds);
        for (String bad : new String[]{"-1", "1", "five", "86401", "2.5"}) {
            Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> Config.fromEnv(Map.of("BURN_SEGMENT_SECONDS", bad)));
            assertTrue(e.getMessage().startsWith("BURN_SEGMENT_SECONDS: "), e.getMessage());
        }
    }

    @Test
    void r2CredentialsAreRequiredWithAnEndpoint() {
        Config.ConfigException e = assertThrows(Config.ConfigException.class,
                () -> Config.fromEnv(Map.of("R2_S3_ENDPOINT", "http://127.0.0.1:9000")));
        assertTrue(e.getMessage().startsWith("R2_ACCESS_KEY_ID:"), e.getMessage());
    }

    @Test
    void toStringHasNoSecrets() {
        Config c = Config.fromEnv(Map.of("JOB_CALLBACK_HMAC_SECRET", "topsecretvalue",
                "R2_S3_ENDPOINT", "http://127.0.0.1:9000", "R2_ACCESS_KEY_ID", "AKIDVALUE", "R2_SECRET_ACCESS_KEY", "SKVALUE"));
        String s = c.toString();
        assertTrue(!s.contains("topsecretvalue") && !s.contains("SKVALUE") && !s.contains("AKIDVALUE"), s);
    }

    @Test
    void clusterServiceIsTheBucketOrKubernetesWithThePodsName() {
        assertEquals(Config.ClusterService.BUCKET, Config.fromEnv(Map.of()).clusterService);
        Config k = Config.fromEnv(Map.of("CLUSTER_SERVICE", "kubernetes", "HOSTNAME", "media-orchestrator-5d9c7-abcde"));
        assertEquals(Config.ClusterService.KUBERNETES, k.clusterService);
        assertEquals("media-orchestrator-5d9c7-abcde", k.podName);
        assertTrue(assertThrows(Config.ConfigException.class, () -> Config.fromEnv(Map.of("CLUSTER_SERVICE", "zookeeper")))
                .getMessage().startsWith("CLUSTER_SERVICE:"));
        assertTrue(assertThrows(Config.ConfigException.class, () -> Config.fromEnv(Map.of("CLUSTER_SERVICE", "kubernetes", "HOSTNAME", "")))
                .getMessage().startsWith("HOSTNAME:"));
    }
}
