package dev.mediaorchestrator.common;

import org.apache.camel.Exchange;

import java.time.Clock;

/**
 * A token bucket: {@code perMinute} requests a minute, with bursts up to the same number. Beyond
 * it a request gets {@code 429 {"error":"rate limited"}} with {@code Retry-After} (seconds until
 * the next token).
 */
public final class RateLimiter {
    private final double capacity;
    private final double perMs;
    private final Clock clock;
    private double tokens;
    private long last;

    public RateLimiter(long perMinute, Clock clock) {
        this.capacity = perMinute;
        this.perMs = perMinute / 60_000.0;
        this.clock = clock;
        this.tokens = perMinute;
        this.last = clock.millis();
    }

    /** Takes a token or throws the 429. */
    public void acquire(Exchange exchange) {
        long waitMs;
        synchronized (this) {
            long now = clock.millis();
            tokens = Math.min(capacity, tokens + (now - last) * perMs);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return;
            }
            waitMs = (long) Math.ceil((1 - tokens) / perMs);
        }
        exchange.getMessage().setHeader("Retry-After", String.valueOf(Math.max(1, (waitMs + 999) / 1000)));
        throw new HttpError(429, "rate limited");
    }
}
