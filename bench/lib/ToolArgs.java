import dev.mediaorchestrator.burner.FfmpegCommand;
import dev.mediaorchestrator.burner.FfprobeInfo;
import dev.mediaorchestrator.burner.SubtitleConfig;
import dev.mediaorchestrator.burner.VttToAss;
import dev.mediaorchestrator.downloader.Mp3Command;
import dev.mediaorchestrator.downloader.Quality;
import dev.mediaorchestrator.downloader.YtDlpCommand;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The baselines of bench/burn-overhead and bench/download-overhead run the exact argument lists the
 * service builds, taken from the service's own classes (run with the jar on the class path, in
 * source-file mode: {@code java -cp target/media-orchestrator.jar bench/lib/ToolArgs.java ...}).
 * Prints the arguments NUL-separated, executable first.
 *
 * <pre>
 *   burn VIDEO VTT ASS_OUT OUTPUT PROGRESS_FILE PRESET   probes VIDEO (as the burner does), writes the
 *                                                         ASS the burner writes (default subtitleConfig),
 *                                                         prints the burner's ffmpeg command
 *   ytdlp URL WORK_DIR QUALITY                            the downloader's yt-dlp command
 *   mp3 VIDEO AUDIO_OUT                                   the downloader's mp3 command
 * </pre>
 */
public class ToolArgs {
    public static void main(String[] a) throws Exception {
        List<String> args = switch (a[0]) {
            case "burn" -> burn(Path.of(a[1]), Path.of(a[2]), Path.of(a[3]), Path.of(a[4]), Path.of(a[5]), a[6]);
            case "ytdlp" -> YtDlpCommand.builder(a[1], Path.of(a[2])).quality(Quality.parse(a[3])).build();
            case "mp3" -> Mp3Command.args(Path.of(a[1]), Path.of(a[2]));
            default -> throw new IllegalArgumentException("unknown: " + a[0]);
        };
        StringBuilder sb = new StringBuilder();
        for (String s : args) {
            sb.append(s).append('\0');
        }
        System.out.print(sb);
    }

    static List<String> burn(Path video, Path vtt, Path ass, Path output, Path progress, String preset) throws Exception {
        Process p = new ProcessBuilder(FfprobeInfo.command(video)).redirectErrorStream(false).start();
        String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("ffprobe failed on " + video);
        }
        FfprobeInfo info = FfprobeInfo.parse(json);
        SubtitleConfig sc = SubtitleConfig.defaults();
        Files.writeString(ass, new VttToAss(sc).convert(Files.readString(vtt, StandardCharsets.UTF_8), info.width(), info.height()),
                StandardCharsets.UTF_8);
        return new FfmpegCommand("ffmpeg", preset, FfmpegCommand.DEFAULT_CRF)
                .build(new FfmpegCommand.BurnRequest(video, ass, output, progress, info, sc));
    }
}
