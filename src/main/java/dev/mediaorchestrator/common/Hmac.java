package dev.mediaorchestrator.common;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * HMAC-SHA256 signatures of the contract: {@code x-signature} over raw body bytes, and the
 * orchestrator-signed URLs ({@code METHOD\npath\nkind\nexp}). Comparisons are constant time.
 */
public final class Hmac {
    private static final HexFormat HEX = HexFormat.of();
    private final SecretKeySpec key;

    public Hmac(String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("HMAC secret is empty");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    public String sign(byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HEX.formatHex(mac.doFinal(data));
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
        byte[] expected = sign(data).getBytes(StandardCharsets.US_ASCII);
        byte[] given = signature.trim().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }

    /** Signature of an orchestrator-signed URL (fallback transfers). */
    public String signUrl(String method, String path, String kind, long exp) {
        return sign(method + "\n" + path + "\n" + kind + "\n" + exp);
    }

    public boolean verifyUrl(String method, String path, String kind, long exp, String sig) {
        return verify((method + "\n" + path + "\n" + kind + "\n" + exp).getBytes(StandardCharsets.UTF_8), sig);
    }
}
