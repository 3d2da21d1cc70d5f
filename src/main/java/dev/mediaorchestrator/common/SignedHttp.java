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

    public record Response(int status, String body, String retryAfter) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }
}
