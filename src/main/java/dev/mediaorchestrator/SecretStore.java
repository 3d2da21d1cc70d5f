package dev.mediaorchestrator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Where the HMAC secret comes from: {@code JOB_CALLBACK_HMAC_SECRET}, or, for local use bound to
 * loopback only, a random secret kept in {@code DATA_DIR/secret} (mode 600). The value is never
 * logged; only the path is.
 */
public final class SecretStore {
    private static final Logger LOG = LoggerFactory.getLogger(SecretStore.class);

    private SecretStore() {
    }

    public static String resolve(Config config) {
        if (config.secret != null) {
            return config.secret;
        }
        if (!config.isLoopbackBind()) {
            throw new Config.ConfigException("JOB_CALLBACK_HMAC_SECRET: required when binding to " + config.host
                    + " (without it the service only runs on 127.0.0.1)");
        }
        Path file = config.dataDir.resolve("secret");
        try {
            if (Files.exists(file)) {
                String s = Files.readString(file, StandardCharsets.UTF_8).trim();
                if (!s.isEmpty()) {
                    LOG.info("Using the local HMAC secret in {} (JOB_CALLBACK_HMAC_SECRET is not set; bound to {} only)",
                            file.toAbsolutePath(), config.host);
                    return s;
                }
            }
            Files.createDirectories(config.dataDir);
            byte[] b = new byte[32];
            new SecureRandom().nextBytes(b);
            String secret = HexFormat.of().formatHex(b);
            Path tmp = Files.createTempFile(config.dataDir, "secret", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            Files.writeString(tmp, secret + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("Generated a local HMAC secret in {} (JOB_CALLBACK_HMAC_SECRET is not set; bound to {} only)",
                    file.toAbsolutePath(), config.host);
            return secret;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the local secret " + file, e);
        }
    }
}
