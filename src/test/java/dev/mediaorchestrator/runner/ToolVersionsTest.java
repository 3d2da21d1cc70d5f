package dev.mediaorchestrator.runner;

import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Versions as the tools print them, and the tools of this machine. */
@IntegrationTest
class ToolVersionsTest {
    @Test
    void parsesTheFirstLineOfEachToolsAnswer() {
        assertEquals("5.1.6-0+deb12u1", ToolVersions.parse("ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers\\nbuilt with gcc 12"));
        assertEquals("2026.08.19", ToolVersions.parse("2026.08.19\n"));
        assertEquals("2.1.4", ToolVersions.parse("deno 2.1.4 (stable, release, x86_64-unknown-linux-gnu)\nv8 13.0"));
        assertEquals("1.19.2", ToolVersions.parse("Mihomo Meta v1.19.2 linux amd64 with go1.23.5"));
        assertEquals("unknown", ToolVersions.parse("no digits here"));
    }

    @Test
    void asksTheRealToolsAndReportsAMissingOne() {
        ToolVersions v = new ToolVersions(List.of(new ToolVersions.Tool("ffmpeg", List.of("ffmpeg", "-version")),
                new ToolVersions.Tool("nothing", List.of("/nonexistent/tool", "--version"))));
        dev.mediaorchestrator.support.Wait.until("the versions", Duration.ofSeconds(20), () -> v.now().size() == 2);
        assertTrue(v.now().get("ffmpeg").matches("\\d.*"), v.now().toString());
        assertEquals("missing", v.now().get("nothing"));
    }

    @Test
    void aToolThatNeverEndsIsStoppedAndLeavesNothing() throws Exception {
        Path before = Path.of("").toAbsolutePath();
        long t0 = System.nanoTime();
        // a wrapper that makes a fifo where it runs and hangs on it (as a stand-in ffmpeg of a test did)
        assertEquals("unknown", ToolVersions.ask(List.of("sh", "-c", "mkfifo tv.fifo; exec cat tv.fifo")));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));
        assertTrue(!Files.exists(before.resolve("tv.fifo")), "nothing written where the service runs");
        assertTrue(ProcessHandle.allProcesses().noneMatch(p -> p.info().commandLine().orElse("").contains("tv.fifo")), "no process left");
    }
}
