package dev.mediaorchestrator.runner;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the lines a running tool appends to a file (ffmpeg's {@code -progress} file, yt-dlp's
 * stdout), a little at a time: each call returns only the complete lines written since the last.
 * yt-dlp ends progress updates with {@code \r} as well as {@code \n}; both end a line.
 */
public final class FileTail {
    private final Path file;
    private long offset;
    private final StringBuilder partial = new StringBuilder();

    public FileTail(Path file) {
        this.file = file;
    }

    public synchronized List<String> newLines() {
        List<String> lines = new ArrayList<>();
        if (!Files.exists(file)) {
            return lines;
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            if (len <= offset) {
                return lines;
            }
            byte[] buf = new byte[(int) Math.min(len - offset, 1 << 20)];
            f.seek(offset);
            f.readFully(buf);
            offset += buf.length;
            partial.append(new String(buf, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return lines;
        }
        int start = 0;
        for (int i = 0; i < partial.length(); i++) {
            char c = partial.charAt(i);
            if (c == '\n' || c == '\r') {
                if (i > start) {
                    lines.add(partial.substring(start, i));
                }
                start = i + 1;
            }
        }
        partial.delete(0, start);
        return lines;
    }
}
