package dev.mediaorchestrator.downloader;

import java.nio.file.Path;
import java.util.List;

/**
 * The ffmpeg argument list (no shell) that extracts the audio of the downloaded video as a
 * 192 kb/s MP3:
 * <pre>
 * ffmpeg -nostdin -hide_banner -nostats -loglevel error -y -i VIDEO -vn -sn -dn -c:a libmp3lame -b:a 192k AUDIO
 * </pre>
 * {@code -nostdin} so ffmpeg never waits on a terminal, {@code -nostats}/{@code -loglevel error} so
 * stderr carries only errors (the failure message), {@code -y} so a retry overwrites.
 */
public final class Mp3Command {

    public static final String AUDIO_FILE = "audio.mp3";
    public static final String BITRATE = "192k";

    private Mp3Command() {
    }

    /** With {@code ffmpeg} from PATH. */
    public static List<String> args(Path video, Path audioOut) {
        return args("ffmpeg", video, audioOut);
    }

    public static List<String> args(String ffmpeg, Path video, Path audioOut) {
        return List.of(ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", "error", "-y",
                "-i", video.toAbsolutePath().toString(),
                "-vn", "-sn", "-dn", "-c:a", "libmp3lame", "-b:a", BITRATE,
                audioOut.toAbsolutePath().toString());
    }
}
