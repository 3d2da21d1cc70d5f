package dev.mediaorchestrator.cli;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.StreamingPut;
import dev.mediaorchestrator.observability.BucketAdvice;
import dev.mediaorchestrator.observability.BucketHealthCheck;
import dev.mediaorchestrator.observability.HealthChecks;
import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.health.HealthCheck;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import static dev.mediaorchestrator.cli.CheckResult.fail;
import static dev.mediaorchestrator.cli.CheckResult.ok;
import static dev.mediaorchestrator.cli.CheckResult.shown;
import static dev.mediaorchestrator.cli.CheckResult.skip;
import static dev.mediaorchestrator.cli.CheckResult.warn;

/**
 * {@code check}'s bucket lines: the bucket answers with the configured credentials (the readiness
 * check {@link BucketHealthCheck}, run once); a small object goes up by a presigned PUT and comes
 * back by a presigned GET signed for {@code R2_S3_ENDPOINT} (what runners get) and by one signed for
 * {@code R2_S3_PUBLIC_ENDPOINT} (what the app gets), through the service's own {@link Storage}
 * presigners and the runners' {@link StreamingPut}; and this machine's clock against the store's
 * {@code Date}. On the embedded store, which lives inside the running service, the service's
 * {@code /health/ready} answers for the bucket.
 */
final class BucketChecks {
    /**
     * The largest clock difference that passes. Signed messages carry {@code ts}, which receivers
     * accept up to 60 s ahead of their own clock (CONTRACT.md): half of that leaves the other side
     * room for its own error. The store's Date has whole seconds.
     */
    static final Duration MAX_SKEW = Duration.ofSeconds(30);
    private static final String KEY_PREFIX = "checks/";

    private final Config config;
    private final HttpClient http;
    private final Clock clock;
    private final Duration timeout;
    private final Consumer<CheckResult> report;

    BucketChecks(Config config, HttpClient http, Clock clock, Duration timeout, Consumer<CheckResult> report) {
        this.config = config;
        this.http = http;
        this.clock = clock;
        this.timeout = timeout;
        this.report = report;
    }

    /** Every line for a bucket at {@code R2_S3_ENDPOINT}. */
    void run(Storage storage) {
        CheckResult bucket = bucket(storage);
        report.accept(bucket);
        if (!bucket.ok()) {
            report.accept(skip("urls for runners", "not tried: the bucket does not answer"));
            report.accept(skip("urls for the app", "not tried: the bucket does not answer"));
            report.accept(skip("clock", "not measured: the bucket does not answer"));
            return;
        }
        String key = KEY_PREFIX + UUID.randomUUID() + ".txt";
        byte[] body = ("media-orchestrator check " + clock.instant() + "\n").getBytes(StandardCharsets.UTF_8);
        Duration ttl = Duration.ofSeconds(config.presignTtlSeconds);
        String internal = shown(config.s3Endpoint) + " (R2_S3_ENDPOINT)";
        HttpAnswer runnersGet = null;
        try {
            CheckResult put = put(storage.presignPut(key, "text/plain", ttl), body, internal);
            if (put != null) {
                report.accept(put);
            } else {
                runnersGet = get(storage.presignGet(key, ttl));
                report.accept(roundTrip("urls for runners", "a presigned PUT and GET through " + internal, runnersGet, body,
                        "R2_S3_ENDPOINT", "the runners download inputs and upload outputs with such URLs"));
            }
            report.accept(publicGet(storage, key, ttl, body, put == null));
            report.accept(runnersGet == null ? skip("clock", "not measured: no answer from the bucket")
                    : clockSkew(runnersGet));
        } finally {
            try {
                storage.delete(key);
            } catch (RuntimeException e) {
                report.accept(fail("cleanup", "the test object " + key + " could not be deleted: " + HealthChecks.summary(e),
                        "the service deletes objects too (uploads it aborts, expired state): give the key delete rights; remove " + key + " by hand"));
            }
        }
    }

    private CheckResult bucket(Storage storage) {
        HealthCheck.Result r = new BucketHealthCheck(storage, timeout).call();
        String where = config.bucket + " at " + shown(config.s3Endpoint) + " (R2_S3_ENDPOINT) with the key id "
                + keyIdHint(config.s3AccessKeyId);
        if (r.getState() == HealthCheck.State.UP) {
            return ok("bucket", where + " answers");
        }
        Object fix = r.getDetails().get("fix");
        return fail("bucket", where + ": " + r.getMessage().orElse("down"),
                fix == null ? BucketAdvice.forNetwork(null, "R2_S3_ENDPOINT") : fix.toString());
    }

    private CheckResult publicGet(Storage storage, String key, Duration ttl, byte[] body, boolean stored) {
        boolean own = config.s3PublicEndpoint.equals(config.s3Endpoint);
        String where = "a presigned GET through " + shown(config.s3PublicEndpoint)
                + (own ? " (R2_S3_ENDPOINT; R2_S3_PUBLIC_ENDPOINT is not set)" : " (R2_S3_PUBLIC_ENDPOINT)");
        if (!stored) {
            return skip("urls for the app", where + ": not tried, the test object could not be stored");
        }
        HttpAnswer got = get(storage.presignPublicGet(key, ttl));
        if (got.failure() != null && !own && isLoopback(config.s3PublicEndpoint.getHost())) {
            // compose: the app on the host reaches MinIO as localhost:9000, the orchestrator's container cannot
            return warn("urls for the app", where + ": no answer from here (" + HealthChecks.summary(got.failure()) + "); a loopback address "
                            + "means the app's own machine, which this check does not see from where it runs",
                    "confirm from where the app runs that " + shown(config.s3PublicEndpoint) + " is the store (curl -sI "
                            + shown(config.s3PublicEndpoint) + "/ answers), e.g. compose: the host, with the store's port published");
        }
        return roundTrip("urls for the app", where, got, body, "R2_S3_PUBLIC_ENDPOINT",
                "the app fetches the outputs with such URLs (the terminal callback's)");
    }

    private static boolean isLoopback(String host) {
        return host != null && (host.equalsIgnoreCase("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1"));
    }

    private static CheckResult roundTrip(String name, String where, HttpAnswer got, byte[] expected, String variable, String why) {
        if (got.failure() != null) {
            return fail(name, where + ": no answer from here (" + HealthChecks.summary(got.failure()) + ")",
                    why + "; " + BucketAdvice.forNetwork(got.failure(), variable) + " (check asks from where it runs: run it where the service runs)");
        }
        if (got.status() == 403) {
            return fail(name, where + ": 403 Forbidden",
                    why + "; the host is part of the signature, so " + variable + " must be the very address that reaches "
                            + "this store (no proxy in between that changes the Host), with the same bucket and keys");
        }
        if (got.status() / 100 != 2) {
            return fail(name, where + ": HTTP " + got.status(), why + "; " + BucketAdvice.forStatus(got.status(), "the bucket"));
        }
        if (!Arrays.equals(expected, got.body())) {
            return fail(name, where + ": answered other bytes than were stored",
                    variable + " reaches another store than R2_S3_ENDPOINT (or a cache in front of it)");
        }
        return ok(name, where + " (" + expected.length + " bytes back)");
    }

    private CheckResult clockSkew(HttpAnswer got) {
        Optional<Instant> date = got.date();
        if (date.isEmpty()) {
            return skip("clock", "the bucket sent no Date header");
        }
        Instant local = got.sent().plus(Duration.between(got.sent(), got.received()).dividedBy(2));
        long seconds = Duration.between(date.get(), local).toSeconds();
        String what = seconds == 0 ? "this machine's clock agrees with the bucket's Date (within a second)"
                : "this machine's clock is " + Math.abs(seconds) + " s " + (seconds > 0 ? "ahead of" : "behind") + " the bucket's Date";
        if (Math.abs(seconds) <= MAX_SKEW.toSeconds()) {
            return ok("clock", what);
        }
        return fail("clock", what, "synchronise the clock (NTP: chrony or systemd-timesyncd): signed messages carry a ts that "
                + "receivers accept from 600 s in the past to 60 s in the future, and presigned URLs count their lifetime from it");
    }

    /** The embedded store runs inside the service: its {@code /health/ready} says whether it answers. */
    void embedded() {
        URI ready = URI.create(config.ownBaseUrl + "/health/ready");
        String where = "the embedded store inside the service at " + shown(config.ownBaseUrl) + " (no R2_S3_ENDPOINT)";
        HttpAnswer got = get(ready);
        if (got.failure() != null) {
            report.accept(fail("bucket", where + ": the service does not answer (" + HealthChecks.summary(got.failure()) + ")",
                    "start the service with this same environment (./run serve, or java -jar media-orchestrator.jar), then check again"));
        } else {
            Map<String, Object> bucket = bucketEntry(got.body());
            if (bucket != null && "UP".equals(bucket.get("status"))) {
                report.accept(ok("bucket", where + " answers (its /health/ready)"));
            } else {
                report.accept(fail("bucket", where + ": " + (bucket == null ? "its /health/ready has no bucket check (HTTP " + got.status() + ")"
                                : bucket.getOrDefault("message", "down")),
                        "look at the service's log; DATA_DIR (" + config.dataDir + ") must be writable"));
            }
        }
        report.accept(ok("clock", "the embedded store keeps this machine's time: no skew to measure"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> bucketEntry(byte[] body) {
        try {
            Object checks = Json.parseObject(body).get("checks");
            if (checks instanceof List<?> list) {
                for (Object c : list) {
                    if (c instanceof Map<?, ?> m && "bucket".equals(m.get("name"))) {
                        return (Map<String, Object>) m;
                    }
                }
            }
        } catch (RuntimeException e) {
            // not our service's JSON
        }
        return null;
    }

    /** A presigned PUT of {@code body}, as a runner sends it: null when stored, else the failed line. */
    private CheckResult put(URI url, byte[] body, String where) {
        String what = "a presigned PUT through " + where;
        String why = "the runners upload their outputs with such URLs; ";
        try {
            StreamingPut.Answer a = StreamingPut.put(url.toURL(), new ByteArrayInputStream(body), body.length, "text/plain",
                    timeout, timeout);
            if (a.ok()) {
                return null;
            }
            return fail("urls for runners", what + ": HTTP " + a.status(), why + (a.status() == 403
                    ? "the host is part of the signature: R2_S3_ENDPOINT must be the very address of the store, with its keys"
                    : BucketAdvice.forStatus(a.status(), config.bucket)));
        } catch (IOException e) {
            return fail("urls for runners", what + ": no answer (" + HealthChecks.summary(e) + ")", why + BucketAdvice.forNetwork(e, "R2_S3_ENDPOINT"));
        }
    }

    private HttpAnswer get(URI url) {
        return HttpAnswer.get(http, url, timeout, clock, true);
    }

    /** The first characters of an access key id: enough to tell keys apart, never the secret. */
    static String keyIdHint(String keyId) {
        return keyId == null || keyId.length() < 8 ? "(set)" : keyId.substring(0, 4) + "…";
    }
}
