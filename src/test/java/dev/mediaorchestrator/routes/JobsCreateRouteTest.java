package dev.mediaorchestrator.routes;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The {@code jobs-create} route alone (orchestrator-jobs.camel.yaml with common-http.camel.yaml):
 * its platform-http consumer replaced by {@code direct:}, its beans by doubles that record the
 * order they were called in. No HTTP server, no bucket, no runner.
 */
class JobsCreateRouteTest extends RouteTestSupport {
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private volatile boolean badSignature;
    private volatile String replayed;
    private volatile String recordFindsCopy;
    private volatile String answeredElsewhere;
    private volatile boolean recordFails;

    /** The doubles: each records its name; verify may refuse, admit may find a replay. */
    public final class Steps {
        public void acquire() {
            calls.add("rateLimit");
        }

        public Map<String, Object> verify(Exchange exchange) {
            calls.add("verify");
            if (badSignature) {
                throw new HttpError(401, "invalid signature");
            }
            return Map.of("mediaId", "m1");
        }

        public void admit(Exchange exchange) {
            calls.add("admit");
            if (replayed != null) {
                exchange.setProperty(Names.REPLAY_RESPONSE, replayed);
            }
        }

        public Object validate(Object body) {
            calls.add("validate");
            return body;
        }

        public void ensureInputs(Object request) {
            calls.add("mirror");
        }

        public void claimShared(Exchange exchange) {
            calls.add("claimShared");
            if (answeredElsewhere != null) { // another replica answered this request: its answer, nothing recorded
                exchange.setProperty(Names.REPLAY_RESPONSE, answeredElsewhere);
                return;
            }
            exchange.setProperty(Names.RECORDING_JOB_ID, "job_aaaaaaaaaaaaaaaaaaaaaaaaaa");
        }

        public Object record(Object request, Exchange exchange) {
            calls.add("record " + exchange.getProperty(Names.RECORDING_JOB_ID));
            if (recordFails) {
                throw new HttpError(503, "job state could not be recorded, retry").withRetryAfter(5);
            }
            if (recordFindsCopy != null) { // the shared claim was another request's: its job is the answer
                exchange.setProperty(Names.REPLAY_RESPONSE, recordFindsCopy);
                return null;
            }
            exchange.setProperty(Names.JOB_ID, "job_aaaaaaaaaaaaaaaaaaaaaaaaaa");
            return request;
        }

        public void expectInline(String jobId) {
            calls.add("reserve " + jobId);
        }

        public void notInline(String jobId) {
            calls.add("unreserve " + jobId);
        }

        public boolean dispatch(String jobId) {
            calls.add("dispatch " + jobId);
            return true;
        }

        // the other routes of the file (cancel, get) only need to resolve
        public String deliveries(String jobId) {
            calls.add("deliveries " + jobId);
            return "{}";
        }

        public String redeliver(String jobId) {
            calls.add("redeliver " + jobId);
            return "{}";
        }

        public String cancel(String jobId) {
            return "{}";
        }

        public Object refreshed(Object job) {
            return job;
        }

        public String document(Object job) {
            return "{}";
        }

        public void notFound() {
        }

        public void rejectEmptyId(Exchange exchange) {
            calls.add("rejectEmptyId");
        }

        public void check(Exchange exchange) {
            calls.add("access");
        }

        public String list(Exchange exchange) {
            calls.add("list");
            return "{\"jobs\":[]}";
        }

        public String accepted(Exchange exchange) {
            calls.add("accepted");
            String replay = exchange.getProperty(Names.REPLAY_RESPONSE, String.class);
            return replay != null ? replay : "{\"jobId\":\"job_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"status\":\"queued\"}";
        }
    }

    private final Steps steps = new Steps();

    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml", "orchestrator-jobs.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        Map<String, Object> beans = new HashMap<>();
        for (String name : new String[]{"jobsRateLimiter", "signedRequests", "jobsApi", "mirror", "dispatcher", "lifecycle", "jobEndings", "terminalCallbacks",
                "jobListing", "dashboardAccess"}) {
            beans.put(name, steps);
        }
        // jobs-get reads the job cache through camel-caffeine
        beans.put("jobs", com.github.benmanes.caffeine.cache.Caffeine.newBuilder().build(k -> null));
        return beans;
    }

    private void isolate() throws Exception {
        fromDirect("jobs-create", "jobs-cancel", "jobs-get", "jobs-get-without-id", "jobs-deliveries", "jobs-redeliver");
        context.start();
    }

    private Exchange post() {
        return template.request("direct:jobs-create", e -> e.getMessage().setBody("{}"));
    }

    @Test
    void theListingChecksTheEmptyIdThenTheDashboardsAccessThenLists() throws Exception {
        isolate();
        Exchange e = template.request("direct:jobs-get-without-id", x -> { });
        assertEquals(List.of("rejectEmptyId", "access", "list"), calls);
        assertEquals(200, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"jobs\":[]}", e.getMessage().getBody(String.class));
    }

    @Test
    void stepsRunInTheContractsOrder() throws Exception {
        isolate();
        Exchange e = post();
        assertEquals(List.of("verify", "rateLimit", "admit", "validate", "mirror", "claimShared",
                "reserve job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "record job_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                "dispatch job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "unreserve job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "accepted"), calls);
        assertEquals(202, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("application/json", e.getMessage().getHeader("Content-Type"));
    }

    @Test
    void aFailedSignatureStopsBeforeEverythingElseAsJson() throws Exception {
        isolate();
        badSignature = true;
        Exchange e = post();
        assertEquals(List.of("verify"), calls, "no rate limit counted, no mirror, no job");
        assertEquals(401, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"error\":\"invalid signature\"}", e.getMessage().getBody(String.class));
    }

    @Test
    void aReplayAnswersTheStoredResponseAndDispatchesNothing() throws Exception {
        isolate();
        replayed = "{\"jobId\":\"job_bbbbbbbbbbbbbbbbbbbbbbbbbb\",\"status\":\"queued\"}";
        Exchange e = post();
        assertEquals(List.of("verify", "rateLimit", "admit"), calls);
        assertEquals(202, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals(replayed, e.getMessage().getBody(String.class));
    }

    @Test
    void aCopyFoundWhileRecordingIsAnsweredAndNotDispatched() throws Exception {
        isolate();
        recordFindsCopy = "{\"jobId\":\"job_cccccccccccccccccccccccccc\",\"status\":\"queued\"}";
        Exchange e = post();
        assertEquals(List.of("verify", "rateLimit", "admit", "validate", "mirror", "claimShared",
                "reserve job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "record job_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                "unreserve job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "accepted"), calls,
                "the request that recorded the job dispatches it; this one's reservation ends");
        assertEquals(202, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
    }

    @Test
    void aRequestAnotherReplicaAnsweredRecordsNothingAndReservesNothing() throws Exception {
        isolate();
        answeredElsewhere = "{\"jobId\":\"job_dddddddddddddddddddddddddd\",\"status\":\"queued\"}";
        Exchange e = post();
        assertEquals(List.of("verify", "rateLimit", "admit", "validate", "mirror", "claimShared", "accepted"), calls);
        assertEquals(202, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals(answeredElsewhere, e.getMessage().getBody(String.class));
    }

    @Test
    void aRecordThatFailsEndsTheReservationAndIsAnsweredAsJson() throws Exception {
        isolate();
        recordFails = true;
        Exchange e = post();
        assertEquals(List.of("verify", "rateLimit", "admit", "validate", "mirror", "claimShared",
                "reserve job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "record job_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                "unreserve job_aaaaaaaaaaaaaaaaaaaaaaaaaa"), calls, "no dispatch, no answer of a job");
        assertEquals(503, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("5", e.getMessage().getHeader("Retry-After", String.class));
        assertEquals("{\"error\":\"job state could not be recorded, retry\"}", e.getMessage().getBody(String.class));
        assertEquals("application/json", e.getMessage().getHeader("Content-Type"));
    }
}
