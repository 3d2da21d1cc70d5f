package dev.mediaorchestrator.routes;

import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code burner-job} route alone (burner-runner.camel.yaml): its seda consumer replaced by
 * {@code direct:}, camel-exec by {@code mock:exec}, the beans by a recording double. The tools get
 * the commands the steps built, in order; a failing tool goes to {@code failed}, then {@code finish}.
 * The task kind (docs/segmented-burn.md) chooses the branch: the contract's burn, a segment, the
 * join or the plan.
 */
class BurnerJobRouteTest extends RouteTestSupport {
    /** The burner's own steps; they name the tool for the next {@code exec:}. */
    public static final class Burner extends RunnerDouble {
        public void probeCommand(Object job, Exchange exchange) {
            calls.add("probeCommand");
            exchange.getMessage().setHeader("CamelExecCommandExecutable", "ffprobe");
        }

        public void probed(Object job, Object body, Exchange exchange) {
            calls.add("probed");
            exchange.getMessage().setHeader("CamelExecCommandExecutable", "ffmpeg");
        }

        public void rendered(Object job, Object body) {
            calls.add("rendered");
        }
    }

    /** The segmented burn's steps; {@code kind} is what the job's payload asks for. */
    public static final class Segments {
        final List<String> calls;
        volatile String kind = "burn";

        Segments(List<String> calls) {
            this.calls = calls;
        }

        public String kind(Object job) {
            calls.add("kind");
            return kind;
        }

        public void segmentCommand(Object job, Object body, Exchange exchange) {
            calls.add("segmentCommand");
            exchange.getMessage().setHeader("CamelExecCommandExecutable", "ffmpeg");
        }

        public void deliverSegment(Object job) {
            calls.add("deliverSegment");
        }

        public void prepareJoin(Object job) {
            calls.add("prepareJoin");
        }

        public void joinCommand(Object job, Object body, Exchange exchange) {
            calls.add("joinCommand");
            exchange.getMessage().setHeader("CamelExecCommandExecutable", "ffmpeg");
        }

        public void deliverJoined(Object job) {
            calls.add("deliverJoined");
        }

        public void planCommand(Object job, Exchange exchange) {
            calls.add("planCommand");
            exchange.getMessage().setHeader("CamelExecCommandExecutable", "ffprobe");
        }

        public void planned(Object job, Object body) {
            calls.add("planned");
        }
    }

    private final Burner burner = new Burner();
    private final Segments segments = new Segments(burner.calls);

    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml", "burner-runner.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("burnerSteps", burner, "burnerJobs", burner, "runnerSignedRequests", burner, "jobProcessExecutor", burner,
                "burnerSegments", segments);
    }

    @Override
    protected Properties properties() {
        Properties p = new Properties();
        p.setProperty("runner.burner.path", "");
        p.setProperty("runner.maxConcurrency", "1");
        p.setProperty("runner.burner.timeoutMs", "1000");
        return p;
    }

    private MockEndpoint isolate() throws Exception {
        fromDirect("burner-render", "burner-status", "burner-progress", "burner-healthz", "burner-cancel");
        AdviceWith.adviceWith(context, "burner-job", a -> {
            a.replaceFromWith("direct:burner-job");
            a.weaveByToUri("exec:*").replace().to("mock:exec");
        });
        context.start();
        return getMockEndpoint("mock:exec");
    }

    private void runJob() {
        template.send("direct:burner-job", e -> e.setProperty("runnerJob", "job1"));
    }

    @Test
    void theToolsRunInOrderBetweenTheSteps() throws Exception {
        MockEndpoint exec = isolate();
        exec.expectedMessageCount(2);
        exec.expectedHeaderValuesReceivedInAnyOrder("CamelExecCommandExecutable", "ffprobe", "ffmpeg");
        NotifyBuilder done = new NotifyBuilder(context).fromRoute("burner-job").whenDone(1).create();
        runJob();
        assertTrue(done.matches(5, TimeUnit.SECONDS));
        exec.assertIsSatisfied();
        assertEquals("ffprobe", exec.getReceivedExchanges().get(0).getMessage().getHeader("CamelExecCommandExecutable"));
        assertEquals(List.of("kind", "prepare", "probeCommand", "probed", "rendered", "upload", "completed", "finish"), burner.calls);
    }

    @Test
    void aSegmentIsBurnedWithItsOwnCommandAndDelivery() throws Exception {
        MockEndpoint exec = isolate();
        segments.kind = "segment";
        exec.expectedMessageCount(2);
        runJob();
        exec.assertIsSatisfied();
        assertEquals(List.of("ffprobe", "ffmpeg"), executables(exec));
        assertEquals(List.of("kind", "prepare", "probeCommand", "segmentCommand", "rendered", "deliverSegment", "finish"), burner.calls);
    }

    @Test
    void theJoinDownloadsTheSegmentsProbesTheInputAndJoins() throws Exception {
        MockEndpoint exec = isolate();
        segments.kind = "join";
        exec.expectedMessageCount(2);
        runJob();
        exec.assertIsSatisfied();
        assertEquals(List.of("ffprobe", "ffmpeg"), executables(exec));
        assertEquals(List.of("kind", "prepareJoin", "probeCommand", "joinCommand", "rendered", "deliverJoined", "finish"), burner.calls);
    }

    @Test
    void thePlanRunsFfprobeOnly() throws Exception {
        MockEndpoint exec = isolate();
        segments.kind = "plan";
        exec.expectedMessageCount(1);
        runJob();
        exec.assertIsSatisfied();
        assertEquals(List.of("ffprobe"), executables(exec));
        assertEquals(List.of("kind", "planCommand", "planned", "finish"), burner.calls);
    }

    @Test
    void aFailingSegmentToolGoesToFailedThenFinish() throws Exception {
        MockEndpoint exec = isolate();
        segments.kind = "segment";
        exec.whenExchangeReceived(2, e -> {
            throw new IllegalStateException("ffmpeg exited with code 1");
        });
        runJob();
        assertEquals(List.of("kind", "prepare", "probeCommand", "segmentCommand", "failed: ffmpeg exited with code 1", "finish"), burner.calls);
    }

    private static List<Object> executables(MockEndpoint exec) {
        return exec.getReceivedExchanges().stream().map(e -> e.getMessage().getHeader("CamelExecCommandExecutable")).toList();
    }

    @Test
    void aFailingToolGoesToFailedThenFinish() throws Exception {
        MockEndpoint exec = isolate();
        exec.whenExchangeReceived(2, e -> {
            throw new IllegalStateException("ffmpeg exited with code 1");
        });
        runJob();
        assertEquals(List.of("kind", "prepare", "probeCommand", "probed", "failed: ffmpeg exited with code 1", "finish"), burner.calls,
                "nothing after the failing tool runs but failed and finish");
    }
}
