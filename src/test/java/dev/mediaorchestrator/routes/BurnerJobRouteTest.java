package dev.mediaorchestrator.routes;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code burner-job} route alone (burner-runner.camel.yaml): its seda consumer replaced by
 * {@code direct:}, camel-exec by {@code mock:exec}, the beans by a recording double. The tools get
 * the commands the steps built, in order; a failing tool goes to {@code failed}, then {@code finish}.
 */
class BurnerJobRouteTest extends CamelTestSupport {
    private final List<String> calls = new CopyOnWriteArrayList<>();

    /** The double of burnerSteps, burnerJobs and runnerSignedRequests. */
    public final class Steps {
        public void prepare(Object job) {
            calls.add("prepare " + job);
        }

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

        public void upload(Object job) {
            calls.add("upload");
        }

        public void completed(Object job) {
            calls.add("completed");
        }

        public void failed(Object job, Exception e) {
            calls.add("failed: " + e.getMessage());
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
        p.setProperty("runner.burner.path", "");
        p.setProperty("runner.maxConcurrency", "1");
        p.setProperty("runner.burner.timeoutMs", "1000");
        context.getPropertiesComponent().setInitialProperties(p);
        Steps steps = new Steps();
        for (String name : new String[]{"burnerSteps", "burnerJobs", "runnerSignedRequests", "jobProcessExecutor"}) {
            context.getRegistry().bind(name, steps);
        }
        for (String file : new String[]{"common-http.camel.yaml", "burner-runner.camel.yaml"}) {
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

    private MockEndpoint isolate() throws Exception {
        for (String id : new String[]{"burner-render", "burner-status", "burner-progress", "burner-healthz", "burner-cancel"}) {
            AdviceWith.adviceWith(context, id, a -> a.replaceFromWith("direct:" + id));
        }
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
        assertEquals(List.of("prepare job1", "probeCommand", "probed", "rendered", "upload", "completed", "finish"), calls);
    }

    @Test
    void aFailingToolGoesToFailedThenFinish() throws Exception {
        MockEndpoint exec = isolate();
        exec.whenExchangeReceived(2, e -> {
            throw new IllegalStateException("ffmpeg exited with code 1");
        });
        runJob();
        assertEquals(List.of("prepare job1", "probeCommand", "probed", "failed: ffmpeg exited with code 1", "finish"), calls,
                "nothing after the failing tool runs but failed and finish");
    }
}
