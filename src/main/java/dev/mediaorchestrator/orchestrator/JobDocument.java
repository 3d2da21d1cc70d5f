package dev.mediaorchestrator.orchestrator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contract's job document ({@code GET /jobs/{id}}, the dashboard's events) of a {@link Job}
 * ({@link Job#document}), and the output entries it shares with the terminal callback's body.
 */
public final class JobDocument {
    private JobDocument() {
    }

    /** The document; {@code queuePosition} (when above 0) is shown while the job waits. */
    static Map<String, Object> of(Job job, int queuePosition) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("jobId", job.jobId);
        d.put("mediaId", job.mediaId);
        d.put("engine", job.engine.id);
        d.put("status", job.status);
        d.put("phase", job.phase);
        d.put("progress", job.progress);
        d.put("outputKey", job.outputKey(Engine.OutputKind.VIDEO));
        d.put("outputAudioKey", job.outputKey(Engine.OutputKind.AUDIO));
        d.put("outputMetadataKey", job.outputKey(Engine.OutputKind.METADATA));
        Map<String, Object> outputs = new LinkedHashMap<>();
        for (Engine.OutputKind k : job.outputs()) {
            outputs.put(k.id, outputEntry(job.outputKey(k), job.provenance.get(k.id)));
        }
        if (job.subtitles != null) {
            outputs.put("subtitles", subtitleOutputs(job.engine, job.mediaId, job.jobId, job.subtitles, job.provenance));
        }
        d.put("outputs", outputs);
        if (job.tools != null) {
            d.put("tools", job.tools);
        }
        d.put("metadata", job.metadata);
        d.put("error", job.error);
        d.put("createdAt", job.createdAt);
        d.put("ts", job.ts);
        d.put("durationMs", job.durationMs);
        d.put("attempts", job.attempts);
        d.put("runs", job.runs);
        d.put("timeline", job.timeline);
        d.put("segments", job.segments == null ? null : job.segments.document());
        if (queuePosition > 0 && !job.dispatched && !job.isTerminal()) {
            d.put("queuePosition", queuePosition);
        }
        Map<String, Object> dispatch = new LinkedHashMap<>();
        dispatch.put("accepted", job.dispatched);
        dispatch.put("lastAttemptAt", job.lastDispatchAt);
        dispatch.put("lastError", job.dispatchError);
        dispatch.put("runnerUrl", job.runnerUrl);
        d.put("dispatch", dispatch);
        if (job.isTerminal()) {
            Map<String, Object> cb = new LinkedHashMap<>();
            cb.put("delivered", job.callback.delivered());
            cb.put("attempts", job.callback.attempts());
            cb.put("nextAttemptAt", job.callback.delivered() || job.callback.abandoned() || job.callback.nextAttemptAt() == 0 ? null : job.callback.nextAttemptAt());
            cb.put("lastStatus", job.callback.lastStatus() == 0 ? null : job.callback.lastStatus());
            cb.put("lastError", job.callback.lastError());
            if (job.callback.abandoned()) {
                cb.put("abandoned", true);
            }
            d.put("callback", cb);
        }
        return d;
    }

    /** {@code [{lang, key, size…}]} of the subtitles found, for the document and the callback (null when none were asked for). */
    static List<Map<String, Object>> subtitleOutputs(Engine engine, String mediaId, String jobId, List<String> found,
                                                               Map<String, Map<String, Object>> provenance) {
        if (found == null) {
            return null;
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (String lang : found) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("lang", lang);
            e.putAll(outputEntry(engine.subtitleKey(mediaId, jobId, lang), provenance == null ? null : provenance.get("subtitles." + lang)));
            out.add(e);
        }
        return out;
    }

    /** {@code {key, size, contentType, sha256}} of an output, with what is known of it. */
    static Map<String, Object> outputEntry(String key, Map<String, Object> provenance) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("key", key);
        if (provenance != null) {
            for (String f : List.of("size", "contentType", "sha256")) {
                if (provenance.get(f) != null) {
                    e.put(f, provenance.get(f));
                }
            }
        }
        return e;
    }
}
