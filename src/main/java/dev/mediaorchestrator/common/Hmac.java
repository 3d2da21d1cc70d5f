package dev.mediaorchestrator.common;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 signatures of the contract: {@code x-signature} over raw body bytes, and the
 * orchestrator-signed URLs ({@code METHOD\npath\nkind\nexp}). Comparisons are constant time.
 *
 * <p>During a secret rotation ({@code JOB_CALLBACK_HMAC_SECRET_PREVIOUS}) a signature made with
 * the previous secret is accepted too ({@link #withPrevious}); signing always uses the current one,
 * except {@link #rawSignatures}, which gives one signature per secret (Standard Webhooks).
 */
public final class Hmac {
    private static final HexFormat HEX = HexFormat.of();
    private final SecretKeySpec key;
    private final SecretKeySpec previous;

    public Hmac(String secret) {
        this(key(secret), null);
    }

    private Hmac(SecretKeySpec key, SecretKeySpec previous) {
        this.key = key;
        this.previous = previous;
    }

    private static SecretKeySpec key(String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("HMAC secret is empty");
        }
        return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    /** This secret, also accepting signatures made with {@code previousSecret} (null or blank: none). */
    public Hmac withPrevious(String previousSecret) {
        return previousSecret == null || previousSecret.isBlank() ? new Hmac(key, null) : new Hmac(key, key(previousSecret));
    }

    /** Whether a previous secret is accepted. */
    public boolean rotating() {
        return previous != null;
    }

    public String sign(byte[] data) {
        return HEX.formatHex(mac(key, data));
    }

    /** {@link #sign(String)} with the previous secret, when one is set (keys derived from the secret, during a rotation). */
    public Optional<String> signWithPrevious(String data) {
        return previous == null ? Optional.empty() : Optional.of(HEX.formatHex(mac(previous, data.getBytes(StandardCharsets.UTF_8))));
    }

    /** The raw HMAC of {@code data} with each secret, the current one first. */
    public List<byte[]> rawSignatures(byte[] data) {
        return previous == null ? List.of(mac(key, data)) : List.of(mac(key, data), mac(previous, data));
    }

    private static byte[] mac(SecretKeySpec k, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(k);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String sign(String data) {
        return sign(data.getBytes(StandardCharsets.UTF_8));
    }

    /** Constant-time check of a lowercase hex signature; null or malformed input is simply false. */
    public boolean verify(byte[] data, String signature) {
        if (signature == null) {
            return false;
        }
        byte[] given = signature.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        boolean current = MessageDigest.isEqual(sign(data).getBytes(StandardCharsets.US_ASCII), given);
        // both compared whatever the first gave: the time does not tell which secret matched
        boolean old = previous != null && MessageDigest.isEqual(HEX.formatHex(mac(previous, data)).getBytes(StandardCharsets.US_ASCII), given);
        return current | old;
    }

    /** Signature of an orchestrator-signed URL (fallback transfers). */
    public String signUrl(String method, String path, String kind, long exp) {
        return sign(method + "\n" + path + "\n" + kind + "\n" + exp);
    }

    public boolean verifyUrl(String method, String path, String kind, long exp, String sig) {
        return verify((method + "\n" + path + "\n" + kind + "\n" + exp).getBytes(StandardCharsets.UTF_8), sig);
    }
}
