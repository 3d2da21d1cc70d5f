package dev.mediaorchestrator.routes;

import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The downloader's {@code downloader-job} route alone: yt-dlp, then ffmpeg for the mp3, between the
 * steps; a failing yt-dlp goes to {@code failed}, then the clean-up and {@code finish} (which run
 * whatever happens: mihomo and the job's files must not outlive it).
 */
class DownloaderJobRouteTest extends RouteTestSupport {
    /** The downloader's own steps. */
    public static final class Downloader extends RunnerDouble {
        public void download(Object job, Exchange exchange) {
            calls.add("download");
        }

        public void downloaded(Object job, Object body, Exchange exchange) {
            calls.add("downloaded");
        }

        public void extracted(Object job, Object body) {
            calls.add("extracted");
        }

        public void cleanup(Object job) {
            calls.add("cleanup");
        }
    }

    private final Downloader downloader = new Downloader();

    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml", "downloader-runner.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("downloaderSteps", downloader, "downloaderJobs", downloader, "runnerSignedRequests", downloader,
                "jobProcessExecutor", downloader);
    }

    @Override
    protected Properties properties() {
        Properties p = new Properties();
        p.setProperty("runner.downloader.path", "");
        p.setProperty("runner.maxConcurrency", "1");
        p.setProperty("runner.downloader.timeoutMs", "1000");
        return p;
    }

    private void isolate() throws Exception {
        fromDirect("downloader-render", "downloader-status", "downloader-progress", "downloader-health", "downloader-cancel");
        AdviceWith.adviceWith(context, "downloader-job", a -> {
            a.replaceFromWith("direct:downloader-job");
            a.weaveByToUri("exec:yt-dlp*").replace().to("mock:yt-dlp");
            a.weaveByToUri("exec:ffmpeg*").replace().to("mock:ffmpeg");
        });
        context.start();
    }

    @Test
    void ytDlpThenFfmpegBetweenTheSteps() throws Exception {
        isolate();
        MockEndpoint ytdlp = getMockEndpoint("mock:yt-dlp");
        MockEndpoint ffmpeg = getMockEndpoint("mock:ffmpeg");
        ytdlp.expectedMessageCount(1);
        ffmpeg.expectedMessageCount(1);
        template.send("direct:downloader-job", e -> e.setProperty("runnerJob", "job1"));
        MockEndpoint.assertIsSatisfied(ytdlp, ffmpeg);
        assertEquals(List.of("prepare", "download", "downloaded", "extracted", "upload", "completed", "cleanup", "finish"), downloader.calls);
    }

    @Test
    void aFailingYtDlpGoesToFailedThenCleanUpAndFinish() throws Exception {
        isolate();
        getMockEndpoint("mock:yt-dlp").whenAnyExchangeReceived(e -> {
            throw new IllegalStateException("yt-dlp ERROR: Unsupported URL");
        });
        MockEndpoint ffmpeg = getMockEndpoint("mock:ffmpeg");
        ffmpeg.expectedMessageCount(0);
        template.send("direct:downloader-job", e -> e.setProperty("runnerJob", "job1"));
        ffmpeg.assertIsSatisfied();
        assertEquals(List.of("prepare", "download", "failed: yt-dlp ERROR: Unsupported URL", "cleanup", "finish"), downloader.calls);
    }
}
