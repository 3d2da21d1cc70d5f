package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.burner.SubtitleConfig.HintTextConfig;
import dev.mediaorchestrator.burner.SubtitleConfig.TimeSegmentEffect;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Builds the argument list (no shell) of the burner's single ffmpeg run.
 *
 * <p>One {@code -filter_complex} graph does everything:
 * <pre>
 * [0:v:0]ass=filename=SUBS[,drawbox=…:t=fill:enable=BLACK][,drawtext=…:enable=BLACK][v]
 * [;[0:a:0]volume=volume=0:enable=MUTE[a]]
 * </pre>
 * where BLACK and MUTE are {@code between(t,start,end)} terms joined with {@code +}. Subtitles are
 * drawn first, so a black segment hides them; the hint text (drawtext with the fontconfig font
 * {@code Noto Sans CJK SC}, {@code expansion=none} so {@code %} is literal) is drawn last, over
 * the black, and only while a black segment is active. Paths and text go through
 * {@link FilterEscaping}; input, output and progress paths are passed as {@code file:} URLs so a
 * colon in a directory name is never read as a protocol.
 *
 * <p>Encoding is the contract's: {@code -c:v libx264 -pix_fmt yuv420p -crf 18 -preset medium
 * -c:a aac -b:a 160k -movflags +faststart}; preset and CRF can only be changed through the
 * constructor (tests use a fast preset). A video without audio gets {@code -an} and no audio
 * chain; with audio and no mute segment, the first audio stream is mapped and re-encoded.
 * Progress goes to {@code -progress} (a file, or {@code pipe:1} when none is given) with
 * {@code -nostats}; {@code -nostdin} keeps ffmpeg from reading the JVM's stdin.
 */
public final class FfmpegCommand {

    public static final String DEFAULT_PRESET = "medium";
    public static final int DEFAULT_CRF = 18;
    public static final String HINT_FONT = VttToAss.FONT;

    /**
     * Everything one burn needs.
     *
     * @param progressFile where {@code -progress} writes; null for {@code pipe:1} (stdout)
     * @param media        the probed input (size for the hint, hasAudio for the audio chain)
     */
    public record BurnRequest(Path inputVideo, Path assFile, Path outputVideo, Path progressFile,
                              FfprobeInfo media, SubtitleConfig config) {
        public BurnRequest {
            Objects.requireNonNull(inputVideo, "inputVideo");
            Objects.requireNonNull(assFile, "assFile");
            Objects.requireNonNull(outputVideo, "outputVideo");
            Objects.requireNonNull(media, "media");
            Objects.requireNonNull(config, "config");
        }
    }

    private final String ffmpegBinary;
    private final String preset;
    private final int crf;

    /** {@code ffmpeg} from the PATH with the contract's preset and CRF. */
    public FfmpegCommand() {
        this("ffmpeg", DEFAULT_PRESET, DEFAULT_CRF);
    }

    /** Another binary, preset or CRF (for tests and tuning; production keeps the defaults). */
    public FfmpegCommand(String ffmpegBinary, String preset, int crf) {
        if (crf < 0 || crf > 51) {
            throw new IllegalArgumentException("crf must be within 0..51, got " + crf);
        }
        this.ffmpegBinary = Objects.requireNonNull(ffmpegBinary, "ffmpegBinary");
        this.preset = Objects.requireNonNull(preset, "preset");
        this.crf = crf;
    }

    /** The complete argument list, binary first. */
    public List<String> build(BurnRequest request) {
        boolean audio = request.media().hasAudio();
        boolean muteChain = audio && !request.config().muteSegments().isEmpty();
        List<String> args = new ArrayList<>(preamble(request.progressFile()));
        args.addAll(List.of("-i", fileUrl(request.inputVideo()),
                "-filter_complex", filterGraph(request),
                "-map", "[v]"));
        if (muteChain) {
            args.addAll(List.of("-map", "[a]"));
        } else if (audio) {
            args.addAll(List.of("-map", "0:a:0"));
        }
        args.addAll(videoEncoding());
        args.addAll(audio ? AUDIO_ENCODING : List.of("-an"));
        args.addAll(List.of("-movflags", "+faststart", "-f", "mp4", fileUrl(request.outputVideo())));
        return args;
    }

    /** The contract's audio encoding (every burn that has audio). */
    static final List<String> AUDIO_ENCODING = List.of("-c:a", "aac", "-b:a", "160k");

    /**
     * What every ffmpeg run of the burner starts with: the binary, quiet logs, no stdin, overwrite,
     * and {@code -progress} to {@code progressFile} (null: {@code pipe:1}).
     */
    List<String> preamble(Path progressFile) {
        return List.of(ffmpegBinary, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning", "-y",
                "-progress", progressFile == null ? "pipe:1" : fileUrl(progressFile));
    }

    /** The contract's video encoding with this instance's CRF and preset. */
    List<String> videoEncoding() {
        return List.of("-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", Integer.toString(crf), "-preset", preset);
    }

    /** The {@code -filter_complex} graph: {@code [v]} always, {@code [a]} when audio is muted. */
    public static String filterGraph(BurnRequest request) {
        StringBuilder graph = new StringBuilder("[0:v:0]").append(String.join(",", videoFilters(request))).append("[v]");
        if (request.media().hasAudio() && !request.config().muteSegments().isEmpty()) {
            graph.append(";[0:a:0]").append(muteFilter(request.config())).append("[a]");
        }
        return graph.toString();
    }

    /**
     * The video chain in order: the subtitles, then the black segments' box and the hint text over
     * it. Every filter reads the frame's own timestamp (libass the cue times, {@code enable} its
     * {@code t}), so a run over part of the input draws the same as the whole run as long as its
     * frames keep the whole run's timestamps ({@link SegmentCommands}).
     */
    static List<String> videoFilters(BurnRequest request) {
        SubtitleConfig config = request.config();
        List<String> video = new ArrayList<>();
        video.add(FilterEscaping.filter("ass", "filename", request.assFile().toAbsolutePath().toString()));
        List<TimeSegmentEffect> black = config.blackSegments();
        if (!black.isEmpty()) {
            String enable = enableExpression(black);
            video.add(FilterEscaping.filter("drawbox", "x", "0", "y", "0", "w", "iw", "h", "ih",
                    "color", "black", "t", "fill", "enable", enable));
            HintTextConfig hint = config.hintText();
            if (hint.isDrawn()) {
                video.add(hintFilter(hint, request.media().height(), enable));
            }
        }
        return video;
    }

    /** The mute segments' {@code volume} filter (the caller checks that there are any). */
    static String muteFilter(SubtitleConfig config) {
        return FilterEscaping.filter("volume", "volume", "0", "enable", enableExpression(config.muteSegments()));
    }

    /** Hint size: fontSize × height / 1080, at least 12 pixels. */
    static int hintFontSize(double fontSize, int videoHeight) {
        return (int) Math.max(VttToAss.MIN_SIZE, Math.round(fontSize * videoHeight / 1080.0));
    }

    private static String hintFilter(HintTextConfig hint, int videoHeight, String enable) {
        String y = switch (hint.position()) {
            case TOP -> "h/10";
            case BOTTOM -> "h-text_h-h/10";
            case CENTER -> "(h-text_h)/2";
        };
        return FilterEscaping.filter("drawtext",
                "font", HINT_FONT,
                "text", hint.text(),
                "expansion", "none",
                "fontsize", Integer.toString(hintFontSize(hint.fontSize(), videoHeight)),
                "fontcolor", hint.textColor().toFfmpeg(),
                "x", "(w-text_w)/2",
                "y", y,
                "enable", enable);
    }

    /** {@code between(t,a,b)+between(t,c,d)…} for the segments. */
    static String enableExpression(List<TimeSegmentEffect> segments) {
        return segments.stream()
                .map(s -> "between(t," + plain(s.startTime()) + "," + plain(s.endTime()) + ")")
                .collect(Collectors.joining("+"));
    }

    /** Seconds as ffmpeg reads them: plain decimal, no exponent, no trailing zeros. */
    static String plain(double seconds) {
        return BigDecimal.valueOf(seconds).stripTrailingZeros().toPlainString();
    }

    /** {@code file:} + absolute path: ffmpeg then never reads {@code a:b} in a path as a protocol. */
    public static String fileUrl(Path path) {
        return "file:" + path.toAbsolutePath().normalize();
    }
}
