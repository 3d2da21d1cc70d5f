package dev.mediaorchestrator.orchestrator;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The engines the orchestrator dispatches to, with their inputs and outputs (CONTRACT.md, bucket layout). */
public enum Engine {
    BURNER("burner-ffmpeg", List.of(InputKind.VIDEO, InputKind.SUBTITLES), List.of(OutputKind.VIDEO)),
    DOWNLOADER("media-downloader", List.of(), List.of(OutputKind.VIDEO, OutputKind.AUDIO, OutputKind.METADATA)),
    REMOTION("renderer-remotion", List.of(InputKind.VIDEO, InputKind.COMMENTS), List.of(OutputKind.VIDEO));

    public final String id;
    public final List<InputKind> inputs;
    public final List<OutputKind> outputs;

    Engine(String id, List<InputKind> inputs, List<OutputKind> outputs) {
        this.id = id;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    public static Optional<Engine> of(String id) {
        for (Engine e : values()) {
            if (e.id.equals(id)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** The bucket key of an output of a job of this engine. */
    public String outputKey(String mediaId, String jobId, OutputKind kind) {
        String prefix = this == DOWNLOADER ? "downloads/" + mediaId + "/" + jobId + "/"
                : "outputs/by-media/" + mediaId + "/" + jobId + "/";
        return prefix + kind.fileName;
    }

    /**
     * The outputs a job of this engine with these options must have before it is complete: the
     * engine's, and the thumbnail of a downloader job that asked for one.
     */
    public List<OutputKind> outputsFor(Map<String, ?> options) {
        if (this == DOWNLOADER && options != null && Boolean.TRUE.equals(options.get("thumbnail"))) {
            List<OutputKind> all = new ArrayList<>(outputs);
            all.add(OutputKind.THUMBNAIL);
            return List.copyOf(all);
        }
        return outputs;
    }

    /** The subtitle languages a downloader job asked for (empty for none, or for another engine). */
    public List<String> subtitleLanguages(Map<String, ?> options) {
        if (this != DOWNLOADER || options == null) {
            return List.of();
        }
        try {
            var subs = dev.mediaorchestrator.downloader.DownloadExtras.subtitles(options);
            return subs == null ? List.of() : subs.languages();
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    /** Where the subtitles of {@code lang} of a downloader job go. */
    public String subtitleKey(String mediaId, String jobId, String lang) {
        return subtitlesPrefix(mediaId, jobId) + lang + ".vtt";
    }

    public String subtitlesPrefix(String mediaId, String jobId) {
        return "downloads/" + mediaId + "/" + jobId + "/subtitles/";
    }

    /** An input a job needs mirrored into the bucket. */
    public enum InputKind {
        VIDEO("video", "inputs/videos/", ".mp4", "source", "video/mp4"),
        SUBTITLES("subtitles", "inputs/subtitles/", ".vtt", "subtitles", "text/vtt"),
        COMMENTS("comments", "inputs/comments/", ".json", "comments-data", "application/json");

        public final String id;
        private final String prefix;
        private final String suffix;
        /** The last path segment of {@code {NEXT_BASE_URL}/api/media/{mediaId}/...}. */
        public final String nextPath;
        public final String contentType;

        InputKind(String id, String prefix, String suffix, String nextPath, String contentType) {
            this.id = id;
            this.prefix = prefix;
            this.suffix = suffix;
            this.nextPath = nextPath;
            this.contentType = contentType;
        }

        public String key(String mediaId) {
            return prefix + mediaId + suffix;
        }

        /** The contract's 502 error text for a failed fetch. */
        public String fetchError() {
            return "fetch " + nextPath + " failed";
        }

        public static Optional<InputKind> of(String id) {
            for (InputKind k : values()) {
                if (k.id.equals(id)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    /** An output a job produces. */
    public enum OutputKind {
        VIDEO("video", "video.mp4", "video/mp4"),
        AUDIO("audio", "audio.mp3", "audio/mpeg"),
        METADATA("metadata", "metadata.json", "application/json"),
        /** A downloader job's, when {@code engineOptions.thumbnail} is true. */
        THUMBNAIL("thumbnail", "thumbnail.jpg", "image/jpeg");

        public final String id;
        public final String fileName;
        public final String contentType;

        OutputKind(String id, String fileName, String contentType) {
            this.id = id;
            this.fileName = fileName;
            this.contentType = contentType;
        }

        public static Optional<OutputKind> of(String id) {
            for (OutputKind k : values()) {
                if (k.id.equals(id)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }
}
