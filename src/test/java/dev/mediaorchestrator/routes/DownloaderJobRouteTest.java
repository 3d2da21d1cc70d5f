package dev.mediaorchestrator.routes;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The downloader's {@code downloader-job} route alone: yt-dlp, then ffmpeg for the mp3, between the
 * steps; a failing yt-dlp goes to {@code failed}, then the clean-up and {@code finish} (which run
 * whatever happens: mihomo and the job's files must not outlive it).
 */
class DownloaderJobRouteTest extends CamelTestSupport {
    private final List<String> calls = new CopyOnWriteArrayList<>();

    /** The double of downloaderSteps, downloaderJobs and runnerSignedRequests. */
    public final class Steps {
        public void prepare(Object job) {
            calls.add("prepare");
        }

        public void download(Object job, Exchange exchange) {
            calls.add("download");
        }

        public void downloaded(Object job, Object body, Exchange exchange) {
            calls.add("downloaded");
        }

        public void extracted(Object job, Object body) {
            calls.add("extracted");
        }

        public void upload(Object job) {
            calls.add("upload");
        }

        public void completed(Object job) {
            calls.add("completed");
        }

        public void failed(Object job, Exception e) {
            calls.add("failed: " + e.getMessage());
        }

        public void cleanup(Object job) {
            calls.add("cleanup");
        }

        public void finish(Object job) {
            calls.add("finish");
        }

        // the file's other routes only need to resolve
        public Object verify(Exchange exchange) {
            return exchange.getMessage().getBody();
        }

        public Object accept(Object body, Object urls, Exchange exchange) {
            return body;
        }

        public List<String> requiredUrls() {
            return List.of();
        }

        public String acceptedResponse(Object job) {
            return "{}";
        }

        public String status(String jobId) {
            return "{}";
        }

        public void reportProgress() {
        }

        public String health() {
            return "{}";
        }

        public String cancel(String jobId) {
            return "{}";
        }
    }

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        Properties p = new Properties();
        p.setProperty("runner.downloader.path", "");
        p.setProperty("runner.maxConcurrency", "1");
        p.setProperty("runner.downloader.timeoutMs", "1000");
        context.getPropertiesComponent().setInitialProperties(p);
        Steps steps = new Steps();
        for (String name : new String[]{"downloaderSteps", "downloaderJobs", "runnerSignedRequests", "jobProcessExecutor"}) {
            context.getRegistry().bind(name, steps);
        }
        for (String file : new String[]{"common-http.camel.yaml", "downloader-runner.camel.yaml"}) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context, "classpath:routes/" + file));
        }
        return context;
    }

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
            }
        };
    }

    private void isolate() throws Exception {
        for (String id : new String[]{"downloader-render", "downloader-status", "downloader-progress", "downloader-health", "downloader-cancel"}) {
            AdviceWith.adviceWith(context, id, a -> a.replaceFromWith("direct:" + id));
        }
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
        assertEquals(List.of("prepare", "download", "downloaded", "extracted", "upload", "completed", "cleanup", "finish"), calls);
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
        assertEquals(List.of("prepare", "download", "failed: yt-dlp ERROR: Unsupported URL", "cleanup", "finish"), calls);
    }
}
