package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.storage.Storage;
import org.apache.camel.health.HealthCheckResultBuilder;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Readiness: the bucket answers ({@code HEAD} on it, {@link Storage#checkBucket()}) within a few
 * seconds. Without its bucket the orchestrator can neither take jobs nor serve artifacts. When it
 * does not, the {@code fix} detail says which setting to look at ({@link BucketAdvice}); the
 * {@code check} command runs this same check.
 */
public final class BucketHealthCheck extends ReadinessCheck {
    private final Storage storage;
    private final Duration timeout;
    private final Executor executor;

    public BucketHealthCheck(Storage storage, Duration timeout) {
        super("bucket");
        this.storage = storage;
        this.timeout = timeout;
        this.executor = r -> {
            Thread t = new Thread(r, "health-bucket");
            t.setDaemon(true);
            t.start();
        };
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("bucket", storage.bucket());
        try {
            CompletableFuture.runAsync(storage::checkBucket, executor).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            builder.up();
        } catch (TimeoutException e) {
            builder.down().message("the bucket did not answer within " + timeout.toSeconds() + " s");
            builder.detail("fix", BucketAdvice.forNetwork(e, "R2_S3_ENDPOINT"));
        } catch (ExecutionException e) {
            builder.down().message("the bucket cannot be reached: " + HealthChecks.summary(e.getCause()));
            builder.detail("fix", BucketAdvice.forClient(e.getCause(), storage.bucket()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            builder.down().message("interrupted");
        }
    }
}
