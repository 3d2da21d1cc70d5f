package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.ReplayCache;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * What a runner's callback must carry and whether it was taken before, for both callback paths:
 * a job's ({@link RunnerReports}) and a segmented burn's task's ({@link TaskCallbacks}). A copy is
 * known by its signature or nonce here ({@link ReplayCache}), or in the bucket ({@link ReplayStore}:
 * another replica, or before a restart).
 */
final class CallbackAdmission {
    private final ReplayCache replay;
    private final ReplayStore shared;

    CallbackAdmission(ReplayCache replay, ReplayStore shared) {
        this.replay = replay;
        this.shared = shared;
    }

    /** The callback's {@code jobId}; a 400 naming what is missing without one or a known {@code status}. */
    static String checkedJobId(Map<String, Object> body) {
        if (!(body.get("jobId") instanceof String jobId) || jobId.isBlank()) {
            throw HttpError.badRequest("jobId is required");
        }
        if (!(body.get("status") instanceof String status) || status.isBlank()) {
            throw HttpError.badRequest("status is required");
        }
        if (!JobTransitions.isKnownStatus(status)) {
            throw HttpError.badRequest("status is unknown"); // not echoed: the error text stays short and stable
        }
        return jobId;
    }

    /**
     * Claims the callback's replay keys here and in the bucket: the keys, or null when a copy of it
     * was taken before. A claim in the bucket that fails gives the local one back.
     */
    List<String> claim(Exchange exchange) {
        List<String> keys = ReplayCache.replayKeys("cb", exchange.getProperty(Names.SIGNATURE, String.class),
                exchange.getProperty(Names.NONCE, String.class));
        if (replay.claim(keys, Boolean.TRUE) != null) {
            return null;
        }
        try {
            if (shared.claim(keys, null).isPresent()) {
                return null;
            }
        } catch (RuntimeException e) {
            replay.release(keys, Boolean.TRUE);
            throw e;
        }
        return keys;
    }

    /** Gives claimed keys back: the callback was not applied, and the runner's retry must not be a copy. */
    void release(List<String> keys) {
        replay.release(keys, Boolean.TRUE);
        shared.release(keys);
    }
}
