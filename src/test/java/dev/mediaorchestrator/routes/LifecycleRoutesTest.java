package dev.mediaorchestrator.routes;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.Json;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * orchestrator-lifecycle.camel.yaml alone: the runner callback route verifies and admits the body,
 * then hands it to {@code direct:runner-report} (the transition, the output check when due), and
 * stops at a failed verification or a duplicate; each timer route calls its bean (the timers
 * replaced by {@code direct:}, the beans by a recording double).
 */
class LifecycleRoutesTest extends RouteTestSupport {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile boolean failPoll;
    volatile boolean duplicate;
    volatile boolean outputsDue;
    volatile boolean failPublish;

    /** Every bean of the file, recording the calls. */
    public final class Beans {
        public Object verify(Exchange exchange) {
            calls.add("verify");
            if ("bad".equals(exchange.getMessage().getBody(String.class))) {
                throw new dev.mediaorchestrator.common.HttpError(401, "invalid signature");
            }
            return Map.of("jobId", "job_x", "status", "running");
        }

        public void admitCallback(Map<String, Object> body, Exchange exchange) {
            calls.add("admitCallback " + body.get("jobId"));
            if (duplicate) {
                exchange.setProperty(Names.DUPLICATE, true);
            }
        }

        public String applyReport(Map<String, Object> body, Exchange exchange) {
            calls.add("applyReport " + body.get("jobId"));
            if (outputsDue) {
                exchange.setProperty(Names.OUTPUTS_DUE, true);
            }
            return "running";
        }

        public String checkOutputs(String job) {
            calls.add("checkOutputs");
            return "completed";
        }

        public String reportAnswer(String status) {
            calls.add("reportAnswer " + status);
            return "{\"ok\":true,\"status\":\"" + status + "\"}";
        }

        public void publish(Object job) {
            calls.add("publish " + job);
            if (failPublish) {
                throw new IllegalStateException("event stream broken");
            }
        }

        public void learn(Object job) {
            calls.add("learn " + job);
        }

        public void remember(Object job) {
            calls.add("remember " + job);
        }

        public void deliverNow(Object job) {
            calls.add("deliverNow " + job);
        }

        public void wake() {
            calls.add("wake");
        }

        public String callback(Map<String, Object> body, Exchange exchange) {
            calls.add("taskCallback " + body.get("jobId"));
            return "{\"ok\":true,\"status\":\"running\"}";
        }

        public void pollOutputs() {
            calls.add("pollOutputs");
            if (failPoll) {
                throw new IllegalStateException("bucket down");
            }
        }

        public void deliverDue() {
            calls.add("deliverDue");
        }

        public void retryDue() {
            calls.add("retryDue");
        }

        public void sync() {
            calls.add("sync");
        }

        public void sweep() {
            calls.add("sweep");
        }
    }

    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml", "orchestrator-lifecycle.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        Beans b = new Beans();
        Map<String, Object> m = new HashMap<>();
        for (String name : List.of("signedRequests", "runnerReports", "completionCheck", "lifecycle", "terminalCallbacks", "dispatcher", "activeIndex",
                "jobRetention", "replayStore", "uploadJanitor", "jobEvents", "jobListing", "jobTraces", "taskCallbacks")) {
            m.put(name, b);
        }
        return m;
    }

    @Override
    protected Properties properties() {
        Properties p = new Properties();
        p.put("completion.pollMs", "1000");
        p.put("state.syncMs", "1000");
        p.put("state.retentionMs", "1000");
        return p;
    }

    private void isolate() throws Exception {
        fromDirect("runner-callbacks", "task-callbacks", "job-terminal", "completion-timer", "terminal-callback-timer", "dispatch-retry-timer",
                "state-sync-timer",
                "state-retention-timer");
        context.start();
    }

    @Test
    void aRunnerCallbackIsVerifiedAdmittedThenAppliedToTheJob() throws Exception {
        isolate();
        Exchange e = template.request("direct:runner-callbacks", x -> x.getMessage().setBody("{}"));
        assertEquals(List.of("verify", "admitCallback job_x", "applyReport job_x", "reportAnswer running"), calls);
        assertEquals(200, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"ok\":true,\"status\":\"running\"}", e.getMessage().getBody(String.class));
    }

    @Test
    void aCopyOfACallbackTakenBeforeIsAnsweredAsADuplicateAndAppliesNothing() throws Exception {
        isolate();
        duplicate = true;
        Exchange e = template.request("direct:runner-callbacks", x -> x.getMessage().setBody("{}"));
        assertEquals(List.of("verify", "admitCallback job_x"), calls);
        assertEquals(200, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals(Map.of("ok", true, "duplicate", true), Json.parseObject(e.getMessage().getBody(String.class).getBytes()));
    }

    @Test
    void aReportThatSaysTheOutputsAreUpHasTheBucketChecked() throws Exception {
        isolate();
        outputsDue = true;
        Exchange e = template.request("direct:runner-callbacks", x -> x.getMessage().setBody("{}"));
        assertEquals(List.of("verify", "admitCallback job_x", "applyReport job_x", "checkOutputs", "reportAnswer completed"), calls);
        assertEquals("{\"ok\":true,\"status\":\"completed\"}", e.getMessage().getBody(String.class));
    }

    /** A segmented burn's task reports to its own path (docs/segmented-burn.md): verified, then applied by taskCallbacks. */
    @Test
    void aTaskCallbackIsVerifiedThenApplied() throws Exception {
        isolate();
        Exchange e = template.request("direct:task-callbacks", x -> x.getMessage().setBody("{}"));
        assertEquals(List.of("verify", "taskCallback job_x"), calls);
        assertEquals(200, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        calls.clear();
        e = template.request("direct:task-callbacks", x -> x.getMessage().setBody("bad"));
        assertEquals(List.of("verify"), calls, "nothing applied without a valid signature");
        assertEquals(401, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
    }

    @Test
    void aFailedVerificationAppliesNothing() throws Exception {
        isolate();
        Exchange e = template.request("direct:runner-callbacks", x -> x.getMessage().setBody("bad"));
        assertEquals(List.of("verify"), calls);
        assertEquals(401, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
    }

    @Test
    void aChangedJobGoesToTheDashboardsEventsAndListingToTracingAndToTheClocksOfTheTimers() throws Exception {
        isolate();
        template.sendBody(Names.JOB_CHANGED, "job_x@v2");
        // jobEvents.publish, jobListing.learn, jobTraces.remember, then dispatcher, lifecycle and
        // terminalCallbacks learn the times stored with it (one double stands for every bean here)
        assertEquals(List.of("publish job_x@v2", "learn job_x@v2", "remember job_x@v2", "learn job_x@v2", "learn job_x@v2",
                "learn job_x@v2"), calls);
    }

    /** A hand-off's failure is the "background" configuration's: logged, and the job store that sent it goes on. */
    @Test
    void aFailedChangeHandOffIsLoggedNotThrownAtTheStore() throws Exception {
        isolate();
        failPublish = true;
        Exchange e = template.send(Names.JOB_CHANGED, x -> x.getMessage().setBody("job_x@v2"));
        org.junit.jupiter.api.Assertions.assertNull(e.getException(), "handled");
        assertEquals("event stream broken", e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage());
        org.junit.jupiter.api.Assertions.assertNull(e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE), "no HTTP answer");
    }

    @Test
    void aJobThatEndedHasItsCallbackStartedAndItsSlotOffered() throws Exception {
        isolate();
        template.sendBody("direct:job-terminal", "job_x@v3");
        assertEquals(List.of("deliverNow job_x@v3", "wake"), calls);
    }

    @Test
    void eachTimerCallsItsBeans() throws Exception {
        isolate();
        for (String[] route : new String[][]{{"completion-timer", "pollOutputs"}, {"terminal-callback-timer", "deliverDue"},
                {"dispatch-retry-timer", "retryDue"}, {"state-sync-timer", "sync"}, {"state-retention-timer", "sweep,sweep,sweep"}}) {
            calls.clear();
            template.sendBody("direct:" + route[0], null);
            assertEquals(List.of(route[1].split(",")), calls, route[0]);
        }
    }

    /** A timer's failure is the "background" configuration's (one log line), not an HTTP answer. */
    @Test
    void aTimersFailureIsLoggedNotAnsweredAsHttp() throws Exception {
        isolate();
        failPoll = true;
        Exchange e = template.send("direct:completion-timer", x -> x.getMessage().setBody(null));
        assertEquals(List.of("pollOutputs"), calls);
        org.junit.jupiter.api.Assertions.assertNull(e.getException(), "handled: the timer ticks again");
        org.junit.jupiter.api.Assertions.assertNull(e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE), "no HTTP status on a timer");
        org.junit.jupiter.api.Assertions.assertNull(e.getMessage().getHeader("Content-Type"), "respond-json was not called");
        org.junit.jupiter.api.Assertions.assertNotEquals("{\"error\":\"internal error\"}", e.getMessage().getBody(String.class));
        assertEquals("bucket down", e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage(), "caught by an onException");
    }
}
