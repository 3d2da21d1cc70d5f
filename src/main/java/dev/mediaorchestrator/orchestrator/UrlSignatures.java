package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.Message;

import java.time.Clock;

/**
 * The check of an orchestrator-signed URL of the fallback mode ({@code /inputs}, {@code /segments},
 * {@code /upload}; minted by {@link TransferUrls}): its {@code exp} not past and its {@code sig} the
 * HMAC of the method, path, kind and {@code exp}. Anything else is a {@code 403}.
 */
final class UrlSignatures {
    private final Hmac hmac;
    private final Clock clock;

    UrlSignatures(Hmac hmac, Clock clock) {
        this.hmac = hmac;
        this.clock = clock;
    }

    /** Throws a {@code 403} unless the request's {@code exp} and {@code sig} sign {@code method}, {@code path} and {@code kind}. */
    void check(String method, String path, String kind, Message m) {
        String exp = m.getHeader("exp", String.class);
        String sig = m.getHeader("sig", String.class);
        // strict: the decimal digits the orchestrator writes, no sign, no leading zero, no spaces
        if (exp == null || !exp.matches("[1-9][0-9]{0,11}")) {
            throw new HttpError(403, "forbidden");
        }
        long expires = Long.parseLong(exp);
        if (expires < clock.instant().getEpochSecond() || !hmac.verifyUrl(method, path, kind, expires, sig)) {
            throw new HttpError(403, "forbidden");
        }
    }
}
