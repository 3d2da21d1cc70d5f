package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.RetryAfter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When to try a terminal callback again (CONTRACT.md, Terminal callback): after the n-th failed
 * attempt wait the n-th delay of the schedule, ±20 % jitter, or longer if the app's
 * {@code Retry-After} asks for it (a day at most, or the schedule's longest delay when that is
 * longer); after the last delay's attempt, give up. The default is about
 * three days: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h ({@code CALLBACK_RETRY_SCHEDULE}
 * overrides it, e.g. {@code 1s,2s,3s} in tests).
 */
public final class RetrySchedule {
    public static final String DEFAULT = "5s,5m,30m,2h,5h,10h,14h,20h,24h";
    public static final double JITTER = 0.2;
    private static final Pattern ITEM = Pattern.compile("\\s*([0-9]{1,9})(ms|s|m|h|d)\\s*");

    private final List<Duration> delays;
    private final DoubleSupplier random;

    RetrySchedule(List<Duration> delays, DoubleSupplier random) {
        this.delays = List.copyOf(delays);
        this.random = random;
    }

    /** Parses {@code 5s,5m,2h}; a malformed text is an {@link IllegalArgumentException} naming the item. */
    public static RetrySchedule parse(String text) {
        List<Duration> delays = new ArrayList<>();
        for (String item : text.split(",")) {
            Matcher m = ITEM.matcher(item);
            if (!m.matches()) {
                throw new IllegalArgumentException("CALLBACK_RETRY_SCHEDULE: '" + item.strip() + "' is not a delay such as 5s, 30m or 2h");
            }
            long n = Long.parseLong(m.group(1));
            delays.add(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
        }
        return new RetrySchedule(delays, () -> ThreadLocalRandom.current().nextDouble());
    }

    public List<Duration> delays() {
        return delays;
    }

    /** An app's {@code Retry-After} is honoured up to this, or the schedule's longest delay when that is longer. */
    static final Duration MAX_RETRY_AFTER = Duration.ofDays(1);

    /** The longest wait this schedule ever sets: its longest delay with the jitter, or a day of Retry-After. */
    public Duration longestWait() {
        long max = delays.stream().mapToLong(Duration::toMillis).max().orElse(0);
        return Duration.ofMillis(Math.max(Math.round(max * (1 + JITTER)), MAX_RETRY_AFTER.toMillis()));
    }

    /**
     * The wait after {@code failedAttempts} failed attempts (1 after the first), or empty when the
     * schedule is used up. {@code retryAfter} is the app's header (seconds or an HTTP date), may be null.
     */
    public Optional<Duration> next(int failedAttempts, String retryAfter, long nowMillis) {
        if (failedAttempts < 1 || failedAttempts > delays.size()) {
            return Optional.empty();
        }
        Duration base = delays.get(failedAttempts - 1);
        long jittered = Math.round(base.toMillis() * (1 - JITTER + 2 * JITTER * random.getAsDouble()));
        // an app's Retry-After is honoured up to the longest wait: a date years away (or a wall clock
        // that jumped) cannot hold a delivery for longer
        long asked = Math.min(RetryAfter.millis(retryAfter, nowMillis), longestWait().toMillis());
        return Optional.of(Duration.ofMillis(Math.max(jittered, asked)));
    }
}
