package dev.mediaorchestrator.runner;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * When an upload URL stops working, read from the URL itself: a SigV4 presigned URL
 * ({@code X-Amz-Date} + {@code X-Amz-Expires}, direct mode) or the orchestrator's signed
 * {@code /upload} URL ({@code exp}, epoch seconds, fallback mode). The orchestrator signs output URLs
 * until the job's own deadline, so retrying an upload until its URL expires is retrying within the
 * job's deadline. Empty for a URL that says nothing (the original Worker's, a test's).
 */
final class UrlExpiry {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    private UrlExpiry() {
    }

    static Optional<Instant> of(String url) {
        String query;
        try {
            query = URI.create(url).getRawQuery();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (query == null) {
            return Optional.empty();
        }
        String amzDate = null;
        String amzExpires = null;
        String exp = null;
        for (String param : query.split("&")) {
            int eq = param.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = param.substring(0, eq);
            String value = URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
            if (name.equalsIgnoreCase("X-Amz-Date")) {
                amzDate = value;
            } else if (name.equalsIgnoreCase("X-Amz-Expires")) {
                amzExpires = value;
            } else if (name.equals("exp")) {
                exp = value;
            }
        }
        try {
            if (amzDate != null && amzExpires != null) {
                return Optional.of(LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC).plusSeconds(Long.parseLong(amzExpires)));
            }
            if (exp != null) {
                return Optional.of(Instant.ofEpochSecond(Long.parseLong(exp)));
            }
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
