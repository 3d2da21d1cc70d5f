package dev.mediaorchestrator.common;

import dev.mediaorchestrator.Names;
import org.apache.camel.Exchange;

import java.time.Clock;
import java.util.Locale;
import java.util.Map;

/**
 * Checks a signed JSON request in the contract's order: size, then the HMAC over the raw bytes
 * (constant time, before any parsing), then the JSON, then the {@code ts} window. On success the
 * parsed object becomes the body and the signature and nonce are set as exchange properties
 * {@link Names#SIGNATURE} and {@link Names#NONCE} for replay detection. Without {@code requireSignature} (a
 * runner behind the original Worker, which signs nothing) the signature is not checked and a body
 * without {@code ts} is accepted; a {@code ts} that is present must still be in the window.
 */
public final class SignedRequests {
    /** A body's {@code ts} may be this far in the past... */
    public static final long TS_WINDOW_MS = 600_000;
    /** ...and this far in the future (clock skew); signatures are remembered for the sum and more. */
    public static final long TS_FUTURE_MS = 60_000;

    private final Hmac hmac;
    private final Clock clock;
    private final int maxBodyBytes;
    private final boolean requireSignature;

    public SignedRequests(Hmac hmac, Clock clock, int maxBodyBytes, boolean requireSignature) {
        this.hmac = hmac;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
        this.requireSignature = requireSignature;
    }

    public Map<String, Object> verify(Exchange exchange) {
        Object raw = exchange.getMessage().getBody();
        if (raw instanceof Map) {
            // platform-http has already parsed a form body: the raw bytes are gone, nothing to verify.
            throw new HttpError(415, "content-type must be application/json");
        }
        byte[] body = raw == null ? new byte[0] : exchange.getContext().getTypeConverter().convertTo(byte[].class, exchange, raw);
        if (body == null) {
            throw new HttpError(400, "unreadable body");
        }
        if (body.length > maxBodyBytes) {
            throw new HttpError(413, "body too large (limit " + maxBodyBytes + " bytes)");
        }
        String signature = exchange.getMessage().getHeader("x-signature", String.class);
        if (requireSignature && !hmac.verify(body, signature)) {
            throw new HttpError(401, signature == null ? "missing signature" : "invalid signature");
        }
        Map<String, Object> json = Json.parseObject(body);
        // Unsigned dispatch (the original Worker, RUNNER_REQUIRE_SIGNATURE=false) carries no ts: only a
        // ts that is present is checked then. A signed request always needs a fresh one.
        Object ts = json.get("ts");
        if ((requireSignature || ts != null) && !tsFresh(ts)) {
            throw new HttpError(401, "stale or missing ts");
        }
        exchange.setProperty(Names.SIGNATURE, signature == null ? null : signature.trim().toLowerCase(Locale.ROOT));
        Object nonce = json.get("nonce");
        exchange.setProperty(Names.NONCE, nonce instanceof String s && !s.isBlank() ? s : null);
        return json;
    }

    /**
     * Only numbers that fit a long: a larger integer (a BigInteger) would be cut to its low 64 bits,
     * so {@code 2^64 + now} would pass for now. The difference is compared without {@code Math.abs},
     * which stays negative for {@code Long.MIN_VALUE}.
     */
    private boolean tsFresh(Object ts) {
        if (!(ts instanceof Integer || ts instanceof Long || ts instanceof Double d && Double.isFinite(d))) {
            return false;
        }
        long age = clock.millis() - ((Number) ts).longValue();
        return age >= -TS_FUTURE_MS && age <= TS_WINDOW_MS;
    }
}
