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

    private final Burner burner = new Burner();

    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml", "burner-runner.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("burnerSteps", burner, "burnerJobs", burner, "runnerSignedRequests", burner, "jobProcessExecutor", burner);
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
        assertEquals(List.of("prepare", "probeCommand", "probed", "rendered", "upload", "completed", "finish"), burner.calls);
    }

    @Test
    void aFailingToolGoesToFailedThenFinish() throws Exception {
        MockEndpoint exec = isolate();
        exec.whenExchangeReceived(2, e -> {
            throw new IllegalStateException("ffmpeg exited with code 1");
        });
        runJob();
        assertEquals(List.of("prepare", "probeCommand", "probed", "failed: ffmpeg exited with code 1", "finish"), burner.calls,
                "nothing after the failing tool runs but failed and finish");
    }
}
