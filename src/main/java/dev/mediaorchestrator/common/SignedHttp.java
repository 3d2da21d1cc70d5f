package dev.mediaorchestrator.common;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * Sends signed JSON messages: body bytes, {@code x-signature} over exactly those bytes. With tracing
 * on, each request is a client span of the job's trace and carries its W3C {@code traceparent}
 * (dispatch, runner callbacks, terminal callbacks: every request the service signs goes through here).
 */
public final class SignedHttp {
    private final Hmac hmac;
    private final HttpClient http;
    private volatile Tracing tracing = Tracing.OFF;

    public SignedHttp(Hmac hmac) {
        this.hmac = hmac;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    public void setTracing(Tracing tracing) {
        this.tracing = tracing;
    }

    /** Posts {@code message} as signed JSON; returns the status and the (short) response body. */
    public Response post(URI url, Map<String, Object> message, Duration timeout) throws IOException, InterruptedException {
        byte[] body = Json.writeBytes(message);
        HttpRequest.Builder req = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("x-signature", hmac.sign(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return send(url, req);
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
        HttpRequest.Builder req = HttpRequest.newBuilder(url)
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("x-signature", hmac.sign(body))
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(epochSeconds))
                .header("webhook-signature", webhookSignature(webhookId, epochSeconds, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return send(url, req);
    }

    /** Sends the request, in a client span whose {@code traceparent} it carries when tracing is on. */
    private Response send(URI url, HttpRequest.Builder req) throws IOException, InterruptedException {
        if (!tracing.on()) {
            return exchange(req.build());
        }
        try {
            return tracing.inSpan("POST " + url.getPath(), true, span -> {
                span.headers(req::header);
                Response r = exchange(req.build());
                span.attribute("http.response.status_code", r.status());
                if (!r.ok() && r.status() != 429) { // busy is an answer, not a failure
                    span.failed("answered " + r.status());
                }
                return r;
            });
        } catch (IOException | InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    private Response exchange(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        return new Response(resp.statusCode(), resp.body(), resp.headers().firstValue("retry-after").orElse(null));
    }

    /** {@code v1,<base64>} per secret over {@code id.timestamp.body}. */
    public String webhookSignature(String webhookId, long epochSeconds, byte[] body) {
        byte[] prefix = (webhookId + "." + epochSeconds + ".").getBytes(StandardCharsets.UTF_8);
        byte[] signed = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, signed, 0, prefix.length);
        System.arraycopy(body, 0, signed, prefix.length, body.length);
        StringBuilder sb = new StringBuilder();
        for (byte[] sig : hmac.rawSignatures(signed)) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append("v1,").append(Base64.getEncoder().encodeToString(sig));
        }
        return sb.toString();
    }

    public record Response(int status, String body, String retryAfter) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }
}
