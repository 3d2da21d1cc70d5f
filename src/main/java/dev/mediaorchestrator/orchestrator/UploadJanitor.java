package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.storage.EmbeddedFiles;
import dev.mediaorchestrator.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Multipart uploads that nobody will complete: a process killed while it streamed a mirror or an
 * {@code /upload} into the bucket leaves its parts there, stored and billed, for ever. At start the
 * embedded store's are all aborted (one orchestrator per data dir: none can be in progress); on a
 * shared store (R2, MinIO), and then hourly everywhere, those started more than
 * {@value #MAX_AGE_HOURS} hours ago. Only under the prefixes this service writes. On R2 a lifecycle
 * rule ("abort incomplete multipart uploads after 1 day") does the same on the bucket's side.
 */
public final class UploadJanitor {
    private static final Logger LOG = LoggerFactory.getLogger(UploadJanitor.class);
    static final long MAX_AGE_HOURS = 24;
    static final List<String> PREFIXES = List.of("inputs/", "outputs/", "downloads/");

    private final Storage storage;
    private final Clock clock;
    /** The embedded store's files (its unfinished single PUTs are swept at start), or null for another store. */
    private final EmbeddedFiles files;

    public UploadJanitor(Storage storage, Clock clock) {
        this(storage, clock, null);
    }

    public UploadJanitor(Storage storage, Clock clock, EmbeddedFiles files) {
        this.storage = storage;
        this.clock = clock;
        this.files = files;
    }

    /**
     * At start: {@code exclusive} (the embedded store, ours alone) aborts all of them but the ones
     * this process has started since (requests are served while this runs; S3Proxy reports the
     * listing's time as {@code Initiated}, so there age cannot choose), else the old ones. On the
     * embedded store, single PUTs a killed process left half-written (written before
     * {@code startedAt}) go too ({@link EmbeddedFiles#removeUnfinishedPuts}).
     */
    public int atStart(boolean exclusive, Instant startedAt) {
        if (exclusive && files != null) {
            try {
                int n = files.removeUnfinishedPuts(startedAt);
                if (n > 0) {
                    LOG.info("removed {} objects left half-written by a process that was stopped in the middle of a PUT", n);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot sweep unfinished PUTs of the embedded store: {}", e.toString());
            }
        }
        return abort(exclusive ? Instant.MAX : clock.instant().minus(Duration.ofHours(MAX_AGE_HOURS)));
    }

    /** The hourly sweep. */
    public int sweep() {
        return abort(clock.instant().minus(Duration.ofHours(MAX_AGE_HOURS)));
    }

    private int abort(Instant startedBefore) {
        try {
            int n = storage.abortMultipartUploads(PREFIXES, startedBefore);
            if (n > 0) {
                LOG.info("aborted {} multipart uploads left unfinished (started before {})", n, startedBefore);
            }
            return n;
        } catch (RuntimeException e) {
            LOG.warn("cannot sweep unfinished multipart uploads: {}", e.toString());
            return 0;
        }
    }
}
