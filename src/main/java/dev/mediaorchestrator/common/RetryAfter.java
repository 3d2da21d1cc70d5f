package dev.mediaorchestrator.common;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** An HTTP {@code Retry-After} (RFC 9110: delta seconds or an HTTP date), read by everything that honours one. */
public final class RetryAfter {
    private RetryAfter() {
    }

    /** The header in ms from {@code nowMillis}; 0 when absent, unreadable or past. */
    public static long millis(String header, long nowMillis) {
        if (header == null || header.isBlank()) {
            return 0;
        }
        String h = header.strip();
        if (h.matches("[0-9]{1,9}")) {
            return Long.parseLong(h) * 1000;
        }
        try {
            return Math.max(0, ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli() - nowMillis);
        } catch (DateTimeParseException e) {
            return 0;
        }
    }
}
