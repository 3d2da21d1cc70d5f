package dev.mediaorchestrator.common;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Sends signed JSON messages: body bytes, {@code x-signature} over exactly those bytes. */
public final class SignedHttp {
    private final Hmac hmac;
    private final HttpClient http;

    public SignedHttp(Hmac hmac) {
        this.hmac = hmac;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Posts {@code message} as signed JSON; returns the status and the (short) response body. */
    public Response post(URI url, Map<String, Object> message, Duration timeout) throws IOException, InterruptedException {
        byte[] body = Json.writeBytes(message);
        HttpRequest req = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("x-signature", hmac.sign(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Response(resp.statusCode(), resp.body(), resp.headers().firstValue("retry-after").orElse(null));
    }

    /**
     * Posts {@code message} as a webhook: {@code x-signature} (hex HMAC of the body, what the
     * original app checks) and the Standard Webhooks headers {@code webhook-id},
     * {@code webhook-timestamp} (epoch seconds, now) and {@code webhook-signature} ({@code v1,} +
     * base64 HMAC of {@code id.timestamp.body}, one per secret during a rotation, space-separated).
     * The Standard Webhooks key is the secret's UTF-8 bytes ({@code whsec_} + their base64 for the
     * libraries).
     */
    public Response postWebhook(URI url, Map<String, Object> message, Duration timeout, String webhookId, long epochSeconds)
            throws IOException, InterruptedException {
        byte[] body = Json.writeBytes(message);
        HttpRequest req = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("x-signature", hmac.sign(body))
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(epochSeconds))
                .header("webhook-signature", webhookSignature(webhookId, epochSeconds, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Response(resp.statusCode(), resp.body(), resp.headers().firstValue("retry-after").orElse(null));
    }

    /** {@code v1,<base64>} per secret over {@code id.timestamp.body}. */
    public String webhookSignature(String webhookId, long epochSeconds, byte[] body) {
        byte[] prefix = (webhookId + "." + epochSeconds + ".").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] signed = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, signed, 0, prefix.length);
        System.arraycopy(body, 0, signed, prefix.length, body.length);
        StringBuilder sb = new StringBuilder();
        for (byte[] sig : hmac.rawSignatures(signed)) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append("v1,").append(java.util.Base64.getEncoder().encodeToString(sig));
        }
        return sb.toString();
    }

    public record Response(int status, String body, String retryAfter) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }
}
