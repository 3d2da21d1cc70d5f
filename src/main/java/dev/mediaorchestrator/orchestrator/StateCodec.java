package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A job record as bytes in the bucket: {@link JobRecord#toState(Job)} as JSON, with the engine options
 * (proxy passwords, node URLs, cookies) only as {@code optionsSealed}: AES-256-GCM under a key
 * derived from the HMAC secret (HMAC-SHA256 of a fixed label), a random 96-bit IV per write, the
 * job id as associated data (a sealed blob moved to another record does not open). Dispatch retries
 * after a restart still have them; a reader of the bucket without the secret does not.
 */
public final class StateCodec {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String LABEL = "media-orchestrator/state-options/v1";
    private final SecretKeySpec key;
    /** The key of the previous secret during a rotation: records sealed before it still open (and are sealed anew on their next write). */
    private final SecretKeySpec previousKey;

    public StateCodec(Hmac hmac) {
        this.key = new SecretKeySpec(HexFormat.of().parseHex(hmac.sign(LABEL)), "AES");
        this.previousKey = hmac.signWithPrevious(LABEL).map(h -> new SecretKeySpec(HexFormat.of().parseHex(h), "AES")).orElse(null);
    }

    public byte[] encode(Job job) {
        Map<String, Object> m = JobRecord.toState(job);
        m.put("optionsSealed", seal(job.jobId, Json.writeBytes(job.options())));
        return Json.writeBytes(m);
    }

    @SuppressWarnings("unchecked")
    public Job decode(byte[] data, String version) {
        Map<String, Object> m = Json.parseObject(data);
        Map<String, Object> options = Map.of();
        if (m.get("optionsSealed") instanceof String sealed) {
            options = Json.parseObject(open((String) m.get("jobId"), sealed));
        } else if (m.get("options") instanceof Map<?, ?> plain) {
            options = new LinkedHashMap<>((Map<String, Object>) plain); // a record written before options were sealed
        }
        return JobRecord.fromState(m, options, version);
    }

    private String seal(String jobId, byte[] plain) {
        try {
            byte[] iv = new byte[12];
            RANDOM.nextBytes(iv);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
            c.updateAAD(jobId.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = c.doFinal(plain);
            byte[] out = new byte[iv.length + sealed.length];
            System.arraycopy(iv, 0, out, 0, iv.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            return Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal job options", e);
        }
    }

    private byte[] open(String jobId, String sealed) {
        try {
            return open(key, jobId, sealed);
        } catch (IllegalStateException e) {
            if (previousKey == null) {
                throw e;
            }
            return open(previousKey, jobId, sealed);
        }
    }

    private static byte[] open(SecretKeySpec key, String jobId, String sealed) {
        try {
            byte[] in = Base64.getDecoder().decode(sealed);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, 12));
            c.updateAAD(jobId.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(in, 12, in.length - 12);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot open the job's options (another secret?)", e);
        }
    }
}
