package dev.mediaorchestrator.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The answer to one {@code GET} of {@code check} (a small body: the check's own object or a
 * health document; others are dropped unread), with when it was sent and received by the check's
 * clock, or why there was none. The URL is never part of it: a presigned one carries a signature.
 */
record HttpAnswer(int status, byte[] body, String dateHeader, Instant sent, Instant received, Exception failure) {
    static HttpAnswer get(HttpClient http, URI url, Duration timeout, Clock clock, boolean keepBody) {
        Instant sent = clock.instant();
        try {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
            if (!keepBody) {
                HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
                return new HttpAnswer(r.statusCode(), new byte[0], r.headers().firstValue("date").orElse(null), sent, clock.instant(), null);
            }
            HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new HttpAnswer(r.statusCode(), r.body(), r.headers().firstValue("date").orElse(null), sent, clock.instant(), null);
        } catch (IOException | IllegalArgumentException e) {
            return new HttpAnswer(0, new byte[0], null, sent, clock.instant(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new HttpAnswer(0, new byte[0], null, sent, clock.instant(), e);
        }
    }

    String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The answer's {@code Date} header, when it has a valid one. */
    Optional<Instant> date() {
        try {
            return dateHeader == null ? Optional.empty()
                    : Optional.of(ZonedDateTime.parse(dateHeader, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
