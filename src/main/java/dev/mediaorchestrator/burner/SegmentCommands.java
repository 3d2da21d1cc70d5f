package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.burner.FfmpegCommand.BurnRequest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The ffmpeg argument lists (no shell) of a segmented burn: one segment's video, and the join of
 * the segments with the input's audio. Together they make what {@link FfmpegCommand#build} makes
 * in one run: the same encoding (the same {@link FfmpegCommand} instance: preset and CRF), the
 * same filters, frame for frame.
 *
 * <p><b>A segment</b> keeps the whole run's timestamps through its filters, which is what makes
 * subtitles and effects exact across a cut: {@code -ss start -copyts -start_at_zero} seeks into the
 * input (ffmpeg decodes from the keyframe at or before {@code start}) and leaves every frame the
 * time it has in the whole run (the input's start time taken off, as without {@code -copyts});
 * {@code trim} keeps the frames of {@code [start, end)} (a cut lies between two frames, so no
 * frame is in two segments or none); the subtitles, black box and hint text then draw from those
 * times; only after them {@code setpts=PTS-STARTPTS} makes the segment's file start at 0, as the
 * concat demuxer expects. The first segment needs no seek and no shift: it is the whole run's
 * command with an end. Segments are video only ({@code -an}), without {@code +faststart} (only
 * the join reads them).
 *
 * <p><b>The join</b> reads the segments with the concat demuxer (each placed after the one before
 * it by its duration) and copies their video; the audio is the input's, through the same mute
 * chain as the whole run and encoded once over the whole input, so it is the very audio the whole
 * run writes and in sync with the video to the frame. Global metadata and chapters come from the
 * input, as in the whole run; {@code +faststart}.
 */
public final class SegmentCommands {
    /** The concat demuxer's list of the segments, in the join's work directory. */
    public static final String CONCAT_LIST = "segments.ffconcat";

    private final FfmpegCommand ffmpeg;

    public SegmentCommands(FfmpegCommand ffmpeg) {
        this.ffmpeg = Objects.requireNonNull(ffmpeg, "ffmpeg");
    }

    /** One segment's video: the input's frames of {@code [start, end)} ({@code end} null: to the end), burned. */
    public List<String> segmentVideo(BurnRequest burn, double start, Double end) {
        List<String> args = new ArrayList<>(ffmpeg.preamble(burn.progressFile()));
        if (start > 0) {
            args.addAll(List.of("-ss", FfmpegCommand.plain(start), "-copyts", "-start_at_zero"));
        }
        args.addAll(List.of("-i", FfmpegCommand.fileUrl(burn.inputVideo()),
                "-filter_complex", segmentGraph(burn, start, end),
                "-map", "[v]", "-an"));
        args.addAll(ffmpeg.videoEncoding());
        args.addAll(List.of("-f", "mp4", FfmpegCommand.fileUrl(burn.outputVideo())));
        return args;
    }

    /** {@code [0:v:0]trim,<the whole run's video filters>,setpts[v]}: trim and shift only where needed. */
    static String segmentGraph(BurnRequest burn, double start, Double end) {
        List<String> filters = new ArrayList<>();
        if (start > 0 && end != null) {
            filters.add("trim=start=" + FfmpegCommand.plain(start) + ":end=" + FfmpegCommand.plain(end));
        } else if (start > 0) {
            filters.add("trim=start=" + FfmpegCommand.plain(start));
        } else if (end != null) {
            filters.add("trim=end=" + FfmpegCommand.plain(end));
        }
        filters.addAll(FfmpegCommand.videoFilters(burn));
        if (start > 0) {
            filters.add("setpts=PTS-STARTPTS");
        }
        return "[0:v:0]" + String.join(",", filters) + "[v]";
    }

    /** Everything the join needs; {@code concatList} is {@link #concatList}'s text, written beside the segments. */
    public record JoinRequest(Path concatList, Path inputVideo, Path outputVideo, Path progressFile,
                              FfprobeInfo media, SubtitleConfig config) {
        public JoinRequest {
            Objects.requireNonNull(concatList, "concatList");
            Objects.requireNonNull(inputVideo, "inputVideo");
            Objects.requireNonNull(outputVideo, "outputVideo");
            Objects.requireNonNull(media, "media");
            Objects.requireNonNull(config, "config");
        }
    }

    /** The join: the segments' video copied, the input's audio (muted where the effects say) encoded once, {@code +faststart}. */
    public List<String> join(JoinRequest r) {
        boolean audio = r.media().hasAudio();
        boolean mute = audio && !r.config().muteSegments().isEmpty();
        List<String> args = new ArrayList<>(ffmpeg.preamble(r.progressFile()));
        args.addAll(List.of("-f", "concat", "-i", FfmpegCommand.fileUrl(r.concatList()),
                "-i", FfmpegCommand.fileUrl(r.inputVideo())));
        if (mute) {
            args.addAll(List.of("-filter_complex", "[1:a:0]" + FfmpegCommand.muteFilter(r.config()) + "[a]"));
        }
        args.addAll(List.of("-map", "0:v:0"));
        if (mute) {
            args.addAll(List.of("-map", "[a]"));
        } else if (audio) {
            args.addAll(List.of("-map", "1:a:0"));
        }
        args.addAll(List.of("-map_metadata", "1", "-c:v", "copy"));
        args.addAll(audio ? FfmpegCommand.AUDIO_ENCODING : List.of("-an"));
        args.addAll(List.of("-movflags", "+faststart", "-f", "mp4", FfmpegCommand.fileUrl(r.outputVideo())));
        return args;
    }

    /**
     * The concat demuxer's list: the segment files by name, relative to the list's directory (plain
     * names the demuxer's safe mode accepts, whatever the work directory's path).
     */
    public static String concatList(List<String> fileNames) {
        StringBuilder b = new StringBuilder("ffconcat version 1.0\n");
        for (String name : fileNames) {
            if (!name.matches("[A-Za-z0-9_.-]+")) {
                throw new IllegalArgumentException("not a plain file name: " + name);
            }
            b.append("file ").append(name).append('\n');
        }
        return b.toString();
    }

    /** The file name of segment {@code index} in the join's work directory. */
    public static String segmentFile(int index) {
        return String.format(Locale.ROOT, "segment-%03d.mp4", index);
    }
}
