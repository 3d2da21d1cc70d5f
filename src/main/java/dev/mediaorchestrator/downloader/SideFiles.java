package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.runner.ParentDeath;
import dev.mediaorchestrator.runner.RunnerConfig;
import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A downloader job's files beside the video: the cookie jar yt-dlp reads (and writes back) in the
 * job's work dir, and, after yt-dlp, the subtitles it found and the thumbnail (a frame of the video
 * when the page has none).
 */
final class SideFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SideFiles.class);
    static final String COOKIES_FILE = "cookies.txt";

    private final RunnerConfig config;

    SideFiles(RunnerConfig config) {
        this.config = config;
    }

    /**
     * The job's cookies (or a copy of {@code YTDLP_COOKIES_FILE}) in its work dir, readable by this
     * user only; yt-dlp writes the jar back to it, so the global file is never written. Removed
     * with the work dir. Null when there are none.
     */
    Path writeCookies(RunnerJob job, Download d) {
        String text = d.options.cookies().orElse(null);
        Path file = job.workDir.resolve(COOKIES_FILE);
        try {
            if (text == null && config.cookiesFile == null) {
                return null;
            }
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            if (text != null) {
                // the header yt-dlp's cookie jar (Python's MozillaCookieJar) insists on
                String header = text.startsWith("# Netscape HTTP Cookie File") || text.startsWith("# HTTP Cookie File")
                        ? "" : "# Netscape HTTP Cookie File\n";
                Files.writeString(file, header + text, StandardCharsets.UTF_8);
                d.cookieValues.addAll(DownloadExtras.cookieValues(text));
            } else {
                Files.copy(config.cookiesFile, file, StandardCopyOption.REPLACE_EXISTING);
                d.cookieValues.addAll(DownloadExtras.cookieValues(Files.readString(config.cookiesFile, StandardCharsets.UTF_8)));
            }
            return file;
        } catch (IOException e) {
            throw new RunnerFailure("cannot write the cookies file: " + e.getClass().getSimpleName());
        }
    }

    /** The subtitles yt-dlp found among those asked for, and the thumbnail (a frame of the video when the page has none). */
    void findExtras(RunnerJob job, Download d) {
        d.options.subtitles().ifPresent(subs -> {
            for (String lang : subs.languages()) {
                Path file = YtDlpCommand.subtitlesPath(job.workDir, lang);
                if (size(file) > 0) {
                    d.subtitles.put(lang, file);
                }
            }
            LOG.info("subtitles found (job {}): {} of {}", job.jobId, d.subtitles.keySet(), subs.languages());
        });
        if (d.options.thumbnail()) {
            Path thumb = job.workDir.resolve(YtDlpCommand.THUMBNAIL_FILE);
            if (size(thumb) <= 0) {
                thumb = frameOf(job, d.video);
            }
            d.thumbnail = thumb;
        }
    }

    /** A JPEG of the video's frame at 1 s (or its first), for a page without a thumbnail. */
    private Path frameOf(RunnerJob job, Path video) {
        Path out = job.workDir.resolve(YtDlpCommand.THUMBNAIL_FILE);
        for (String at : List.of("1", "0")) {
            List<String> cmd = List.of(config.ffmpegBin, "-nostdin", "-v", "error", "-y", "-ss", at, "-i", video.toString(),
                    "-frames:v", "1", "-q:v", "3", out.toString());
            try {
                Process p = new ProcessBuilder(ParentDeath.guarded(cmd)).directory(job.workDir.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                } else if (p.exitValue() == 0 && size(out) > 0) {
                    return out;
                }
            } catch (IOException e) {
                throw new RunnerFailure("ffmpeg could not make the thumbnail: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunnerFailure("interrupted while making the thumbnail", e);
            }
        }
        throw new RunnerFailure("the page has no thumbnail and ffmpeg could not take one from the video");
    }

    /** The size of a file, or -1 when there is none. */
    static long size(Path file) {
        try {
            return file == null ? -1 : Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
