package dev.mediaorchestrator.common;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error that ends an HTTP request with a given status and a JSON body {@code {"error": "..."}}.
 * Thrown by beans; the shared route configuration turns it into the response.
 */
public class HttpError extends RuntimeException {
    private final int status;
    private final String error;
    private final Map<String, Object> extra;
    private Integer retryAfter;

    public HttpError(int status, String error) {
        this(status, error, Map.of());
    }

    public HttpError(int status, String error, Map<String, Object> extra) {
        super(status + " " + error);
        this.status = status;
        this.error = error;
        this.extra = extra;
    }

    public static HttpError badRequest(String error) {
        return new HttpError(400, error);
    }

    /** The same error with a {@code Retry-After} header (seconds). */
    public HttpError withRetryAfter(int seconds) {
        this.retryAfter = seconds;
        return this;
    }

    /** Seconds for a {@code Retry-After} header, or null for none. */
    public Integer getRetryAfter() {
        return retryAfter;
    }

    public int getStatus() {
        return status;
    }

    public String getError() {
        return error;
    }

    /** The response body. */
    public String getJson() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.putAll(extra);
        return Json.write(body);
    }
}
