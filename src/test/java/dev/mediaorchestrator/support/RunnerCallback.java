package dev.mediaorchestrator.support;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.SignedHttp;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A runner's signed callback to its job's {@code callbackUrl}, as a runner stand-in sends one (fresh {@code ts} and {@code nonce}). */
public final class RunnerCallback {
    private static final SignedHttp SIGNED = new SignedHttp(new Hmac(RunningApp.SECRET));

    private RunnerCallback() {
    }

    /** Sends {@code fields} for the job of {@code payload} (a {@code /render} body); returns the HTTP status. */
    public static int send(Map<String, Object> payload, Map<String, Object> fields) throws Exception {
        Map<String, Object> cb = new LinkedHashMap<>();
        cb.put("jobId", payload.get("jobId"));
        cb.putAll(fields);
        cb.put("ts", System.currentTimeMillis());
        cb.put("nonce", UUID.randomUUID().toString());
        return SIGNED.post(URI.create((String) payload.get("callbackUrl")), cb, Duration.ofSeconds(10)).status();
    }
}
