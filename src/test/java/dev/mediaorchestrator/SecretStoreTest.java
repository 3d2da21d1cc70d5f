package dev.mediaorchestrator;

import dev.mediaorchestrator.support.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecretStoreTest {
    private final Path dir = TestServers.tempDir("mo-secret");

    @AfterEach
    void cleanup() {
        TestServers.deleteRecursively(dir);
    }

    @Test
    void generatesAnOwnerOnlySecretOnceAndReusesIt() throws Exception {
        Config c = Config.fromEnv(Map.of("DATA_DIR", dir.toString()));
        String first = SecretStore.resolve(c);
        Path file = dir.resolve("secret");
        assertTrue(first.matches("[0-9a-f]{64}"), first);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(first, SecretStore.resolve(c), "the same secret after a restart");
    }

    @Test
    void refusesToBindElsewhereWithoutASecret() {
        Config c = Config.fromEnv(Map.of("DATA_DIR", dir.toString(), "HOST", "0.0.0.0"));
        Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> SecretStore.resolve(c));
        assertTrue(e.getMessage().startsWith("JOB_CALLBACK_HMAC_SECRET:"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("secret")));
    }

    @Test
    void usesTheConfiguredSecret() {
        Config c = Config.fromEnv(Map.of("DATA_DIR", dir.toString(), "JOB_CALLBACK_HMAC_SECRET", "abc"));
        assertEquals("abc", SecretStore.resolve(c));
        assertTrue(!Files.exists(dir.resolve("secret")));
    }
}
