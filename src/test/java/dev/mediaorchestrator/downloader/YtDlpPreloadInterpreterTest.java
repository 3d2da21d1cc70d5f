package dev.mediaorchestrator.downloader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which executables {@link YtDlpPreload} takes for a Python yt-dlp: only yt-dlp's own, never a stand-in. */
class YtDlpPreloadInterpreterTest {
    @TempDir
    Path dir;

    private Path python() throws IOException {
        return executable("python3.11", "");
    }

    private Path executable(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text, StandardCharsets.ISO_8859_1);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    @Test
    void pipsConsoleScriptRunsUnderItsInterpreter() throws IOException {
        Path python = python();
        Path ytDlp = executable("yt-dlp", "#!" + python + "\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom yt_dlp import main\n"
                + "if __name__ == '__main__':\n    sys.exit(main())\n");

        assertEquals(Optional.of(List.of(python.toString())), YtDlpPreload.interpreter(ytDlp));
    }

    @Test
    void aZipappIsTakenByTheZipAfterItsLine() throws IOException {
        Path python = python();
        Path ytDlp = executable("yt-dlp", "#!" + python + "\nPK\u0003\u0004rest of the zip");

        assertEquals(Optional.of(List.of(python.toString())), YtDlpPreload.interpreter(ytDlp));
    }

    @Test
    void aStandInIsNeverReplacedByTheRealYtDlp() throws IOException {
        Path python = python();
        assertEquals(Optional.empty(), YtDlpPreload.interpreter(executable("stub", "#!" + python + "\nimport sys\nprint('fake')\n")),
                "a Python script that is not yt-dlp");
        assertEquals(Optional.empty(), YtDlpPreload.interpreter(executable("wrapper", "#!/bin/sh\nexec yt-dlp \"$@\"  # yt_dlp\n")),
                "a shell wrapper");
        assertEquals(Optional.empty(), YtDlpPreload.interpreter(executable("binary", "\u007fELF\u0002\u0001 yt_dlp")),
                "a stand-alone build");
        assertEquals(Optional.empty(), YtDlpPreload.interpreter(executable("opts", "#!" + python + " -O\nfrom yt_dlp import main\n")),
                "an interpreter with options");
        assertEquals(Optional.empty(), YtDlpPreload.interpreter(executable("other", "#!/bin/bash\nfrom yt_dlp import main\n")),
                "not a python");
    }

    @Test
    void envFindsTheInterpreterOnPath() throws IOException {
        Path ytDlp = executable("yt-dlp", "#!/usr/bin/env no-such-python-here\nfrom yt_dlp import main\n");

        assertEquals(Optional.empty(), YtDlpPreload.interpreter(ytDlp), "nothing of that name on PATH");
    }
}
