package dev.mediaorchestrator.downloader;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The yt-dlp argument list (for a process launcher, no shell) that downloads one page URL into a
 * work directory as {@value #VIDEO_FILE} plus the raw info JSON {@value #INFO_JSON_FILE}.
 *
 * <p>Every option used exists in yt-dlp 2023.03.04 and in current yt-dlp:
 * <pre>
 * yt-dlp --ignore-config --no-cache-dir
 *        --no-playlist --playlist-items 1 --no-write-playlist-metafiles
 *        --format "bestvideo[height&lt;=H]+bestaudio/best[height&lt;=H]/best"
 *        --merge-output-format mp4 --remux-video mp4
 *        --output WORKDIR/video.%(ext)s --write-info-json
 *        --no-part --no-mtime --newline --progress-template "download:[mo-progress] ..."
 *        --socket-timeout 30 [--proxy URL] [--ffmpeg-location PATH] -- URL
 * </pre>
 * {@code --ignore-config} keeps a machine's yt-dlp.conf out; {@code --playlist-items 1} and
 * {@code --no-write-playlist-metafiles} keep a URL that is only a playlist to one video and one info
 * JSON; {@code --remux-video mp4} makes a single-file download that is not mp4 (webm, flv) an mp4
 * too, so the upload really is {@code video/mp4}; the info JSON is written by yt-dlp to its own file
 * (never parsed from stdout); {@code --} keeps the URL from ever being read as an option.
 */
public final class YtDlpCommand {

    public static final String VIDEO_BASENAME = "video";
    public static final String VIDEO_FILE = "video.mp4";
    public static final String INFO_JSON_FILE = "video.info.json";
    /** Subtitles are written as {@code subs.{lang}.vtt}, the thumbnail as {@code thumb.jpg}. */
    public static final String SUBTITLES_BASENAME = "subs";
    public static final String THUMBNAIL_BASENAME = "thumb";
    public static final String THUMBNAIL_FILE = "thumb.jpg";
    public static final int DEFAULT_SOCKET_TIMEOUT_SECONDS = 30;
    /** The {@code --progress-template} value whose lines {@link YtDlpProgress} reads. */
    public static final String PROGRESS_TEMPLATE = "download:" + YtDlpProgress.TEMPLATE_TAG
            + " %(progress.status)s %(progress.downloaded_bytes)s %(progress.total_bytes)s"
            + " %(progress.total_bytes_estimate)s %(progress.fragment_index)s %(progress.fragment_count)s";

    private YtDlpCommand() {
    }

    /**
     * The format selector for a quality: best video at most that height plus best audio, else the
     * best single file at most that height, else the best there is.
     */
    public static String formatFor(Quality quality) {
        int h = quality.maxHeight();
        return "bestvideo[height<=" + h + "]+bestaudio/best[height<=" + h + "]/best";
    }

    /** A builder for {@code url} into {@code workDir}. */
    public static Builder builder(String url, Path workDir) {
        return new Builder(url, workDir);
    }

    /** A builder with the URL and quality of a job's options. */
    public static Builder builder(DownloadOptions options, Path workDir) {
        return new Builder(options.url(), workDir).quality(options.quality())
                .subtitles(options.subtitles().orElse(null)).thumbnail(options.thumbnail());
    }

    /** Where yt-dlp writes the subtitles of {@code lang} (converted to WebVTT). */
    public static Path subtitlesPath(Path workDir, String lang) {
        return workDir.resolve(SUBTITLES_BASENAME + "." + lang + ".vtt");
    }

    /** Where yt-dlp writes the info JSON (what becomes {@code metadata.json}). */
    public static Path infoJsonPath(Path workDir) {
        return workDir.resolve(INFO_JSON_FILE);
    }

    /**
     * The downloaded video: {@value #VIDEO_FILE} when present, else a single other
     * {@code video.<ext>} that is not the info JSON, a partial or a per-format file.
     */
    public static Optional<Path> findVideo(Path workDir) throws IOException {
        Path mp4 = workDir.resolve(VIDEO_FILE);
        if (Files.isRegularFile(mp4)) {
            return Optional.of(mp4);
        }
        try (Stream<Path> files = Files.list(workDir)) {
            List<Path> candidates = files
                    .filter(Files::isRegularFile)
                    .filter(p -> {
                        String n = p.getFileName().toString();
                        return n.matches("video\\.[A-Za-z0-9]+") && !n.endsWith(".part") && !n.endsWith(".ytdl");
                    })
                    .toList();
            return candidates.size() == 1 ? Optional.of(candidates.get(0)) : Optional.empty();
        }
    }

    /**
     * A readable failure reason from yt-dlp's stderr: the last {@code ERROR:} line without yt-dlp's
     * "please report this issue" tail; else the last non-blank line; else the exit code.
     */
    public static String errorMessage(String stderr, int exitCode) {
        String last = null;
        String lastError = null;
        if (stderr != null) {
            for (String line : stderr.split("\\R")) {
                String l = line.strip();
                if (l.isEmpty()) {
                    continue;
                }
                last = l;
                if (l.startsWith("ERROR:")) {
                    lastError = l;
                }
            }
        }
        String msg = lastError != null ? lastError : last;
        if (msg == null) {
            return "yt-dlp exited with code " + exitCode;
        }
        int tail = msg.indexOf("; please report this issue");
        if (tail > 0) {
            msg = msg.substring(0, tail);
        }
        return msg.startsWith("ERROR:") ? "yt-dlp " + msg : "yt-dlp exited with code " + exitCode + ": " + msg;
    }

    /**
     * The argument list as one line for logs, the {@code --proxy} value shown without credentials.
     */
    public static String describe(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (i > 0 && args.get(i - 1).equals("--proxy")) {
                a = Redactor.url(a);
            }
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(a.isEmpty() || a.matches(".*[\\s\"'$`\\\\|&;<>()*?\\[\\]{}~#!].*") ? "'" + a.replace("'", "'\\''") + "'" : a);
        }
        return sb.toString();
    }

    /** Builds the argument list; {@link #build()} returns an unmodifiable list whose first element is the executable. */
    public static final class Builder {
        private final String url;
        private final Path workDir;
        private String executable = "yt-dlp";
        private Quality quality = Quality.DEFAULT;
        private String proxy;
        private String ffmpegLocation;
        private int socketTimeoutSeconds = DEFAULT_SOCKET_TIMEOUT_SECONDS;
        private Path cookies;
        private DownloadExtras.Subtitles subtitles;
        private boolean thumbnail;

        private Builder(String url, Path workDir) {
            this.url = Objects.requireNonNull(url, "url");
            this.workDir = Objects.requireNonNull(workDir, "workDir");
        }

        public Builder executable(String executable) {
            this.executable = Objects.requireNonNull(executable, "executable");
            return this;
        }

        public Builder quality(Quality quality) {
            this.quality = Objects.requireNonNull(quality, "quality");
            return this;
        }

        /** {@code --proxy URL}; null or blank for none. */
        public Builder proxy(String proxyUrl) {
            this.proxy = proxyUrl == null || proxyUrl.isBlank() ? null : proxyUrl;
            return this;
        }

        /** The proxy of a plan ({@link ProxyPlan#ytDlpProxyUrl()}). */
        public Builder proxy(ProxyPlan plan) {
            return proxy(plan.ytDlpProxyUrl().orElse(null));
        }

        /** {@code --ffmpeg-location PATH} (binary or its directory); null for PATH lookup. */
        public Builder ffmpegLocation(String ffmpegLocation) {
            this.ffmpegLocation = ffmpegLocation == null || ffmpegLocation.isBlank() ? null : ffmpegLocation;
            return this;
        }

        /** {@code --cookies FILE} (yt-dlp also writes the jar back to it: a copy in the work dir); null for none. */
        public Builder cookies(Path file) {
            this.cookies = file;
            return this;
        }

        /** {@code --write-subs [--write-auto-subs] --sub-langs … --convert-subs vtt}; null for none. */
        public Builder subtitles(DownloadExtras.Subtitles subtitles) {
            this.subtitles = subtitles;
            return this;
        }

        /** {@code --write-thumbnail --convert-thumbnails jpg}. */
        public Builder thumbnail(boolean thumbnail) {
            this.thumbnail = thumbnail;
            return this;
        }

        public Builder socketTimeoutSeconds(int seconds) {
            if (seconds < 1) {
                throw new IllegalArgumentException("socket timeout must be at least 1 s");
            }
            this.socketTimeoutSeconds = seconds;
            return this;
        }

        public List<String> build() {
            List<String> a = new ArrayList<>();
            a.add(executable);
            a.add("--ignore-config");
            a.add("--no-cache-dir");
            a.add("--no-playlist");
            a.add("--playlist-items");
            a.add("1");
            a.add("--no-write-playlist-metafiles");
            a.add("--format");
            a.add(formatFor(quality));
            a.add("--merge-output-format");
            a.add("mp4");
            a.add("--remux-video");
            a.add("mp4");
            a.add("--output");
            // '%' in the directory would be read as a template field
            a.add(workDir.toAbsolutePath().toString().replace("%", "%%") + File.separator + VIDEO_BASENAME + ".%(ext)s");
            a.add("--write-info-json");
            String dir = workDir.toAbsolutePath().toString().replace("%", "%%") + File.separator;
            if (subtitles != null) {
                a.add(subtitles.auto() ? "--write-auto-subs" : "--no-write-auto-subs");
                a.add("--write-subs");
                a.add("--sub-langs");
                a.add(String.join(",", subtitles.languages()));
                a.add("--sub-format");
                a.add("vtt/best");
                a.add("--convert-subs");
                a.add("vtt");
                a.add("--output");
                a.add("subtitle:" + dir + SUBTITLES_BASENAME + ".%(ext)s");
            }
            if (thumbnail) {
                a.add("--write-thumbnail");
                a.add("--convert-thumbnails");
                a.add("jpg");
                a.add("--output");
                a.add("thumbnail:" + dir + THUMBNAIL_BASENAME + ".%(ext)s");
            }
            if (cookies != null) {
                a.add("--cookies");
                a.add(cookies.toAbsolutePath().toString());
            }
            a.add("--no-part");
            a.add("--no-mtime");
            a.add("--newline");
            a.add("--progress-template");
            a.add(PROGRESS_TEMPLATE);
            a.add("--socket-timeout");
            a.add(Integer.toString(socketTimeoutSeconds));
            if (proxy != null) {
                a.add("--proxy");
                a.add(proxy);
            }
            if (ffmpegLocation != null) {
                a.add("--ffmpeg-location");
                a.add(ffmpegLocation);
            }
            a.add("--");
            a.add(url);
            return Collections.unmodifiableList(a);
        }
    }
}
