package dev.mediaorchestrator.routes;

import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * orchestrator-lifecycle.camel.yaml alone: the runner callback route verifies then hands the body
 * to the lifecycle, and stops at a failed verification; each timer route calls its bean (the
 * timers replaced by {@code direct:}, the beans by a recording double).
 */
class LifecycleRoutesTest extends RouteTestSupport {
    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile boolean failPoll;

    /** Every bean of the file, recording the calls. */
    public final class Beans {
        public Object verify(Exchange exchange) {
            calls.add("verify");
            if ("bad".equals(exchange.getMessage().getBody(String.class))) {
                throw new dev.mediaorchestrator.common.HttpError(401, "invalid signature");
            }
            return Map.of("jobId", "job_x", "status", "running");
        }

        public String runnerCallback(Map<String, Object> body, Exchange exchange) {
            calls.add("runnerCallback " + body.get("jobId"));
            return "{\"ok\":true}";
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

        public void syncActive() {
            calls.add("syncActive");
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
        Map<String, Object> m = new java.util.HashMap<>();
        for (String name : List.of("signedRequests", "lifecycle", "terminalCallbacks", "dispatcher", "jobStore", "replayStore", "uploadJanitor",
                "taskCallbacks")) {
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
        fromDirect("runner-callbacks", "task-callbacks", "completion-timer", "terminal-callback-timer", "dispatch-retry-timer", "state-sync-timer",
                "state-retention-timer");
        context.start();
    }

    @Test
    void aRunnerCallbackIsVerifiedThenApplied() throws Exception {
        isolate();
        Exchange e = template.request("direct:runner-callbacks", x -> x.getMessage().setBody("{}"));
        assertEquals(List.of("verify", "runnerCallback job_x"), calls);
        assertEquals(200, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"ok\":true}", e.getMessage().getBody(String.class));
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
    void eachTimerCallsItsBeans() throws Exception {
        isolate();
        for (String[] route : new String[][]{{"completion-timer", "pollOutputs"}, {"terminal-callback-timer", "deliverDue"},
                {"dispatch-retry-timer", "retryDue"}, {"state-sync-timer", "syncActive"}, {"state-retention-timer", "sweep,sweep,sweep"}}) {
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
