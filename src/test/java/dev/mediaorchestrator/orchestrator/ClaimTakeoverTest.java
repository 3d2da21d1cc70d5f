package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Names;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.ReplayCache;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request that took its keys in the shared replay memory and then never answered (its process
 * was killed between the claim and the answer, or it is still slow): a copy of it (the client's
 * retry with the same {@code Idempotency-Key}, on this replica or another, after a restart) gets
 * the job that request named, recorded once, instead of a 503 until the key expires.
 */
class ClaimTakeoverTest {
    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final StateObjects bucket = StateObjects.inMemory();
    private final ReplayStore shared = new ReplayStore(bucket, Clock.systemUTC(), Duration.ofHours(24));

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    private JobStore store() {
        return new JobStore(Duration.ofHours(1), bucket, new Hmac("unit-test-secret"), Clock.systemUTC());
    }

    /** A replica (or the process after a restart): its own in-process caches, the same bucket. */
    private JobsApi replica(JobStore jobs) {
        return new JobsApi(jobs, new ReplayCache(Duration.ofMinutes(12)), new ReplayCache(Duration.ofHours(24)), shared, Clock.systemUTC());
    }

    private static JobRequest request(String mediaId) {
        return JobRequest.from(Map.of("mediaId", mediaId, "engine", "media-downloader", "options", Map.of("url", "https://example.com/x")));
    }

    /** What admit leaves for record: the request's signature, nonce and Idempotency-Key claims. */
    private Exchange post(String signature, String idempotencyKey) {
        Exchange e = new DefaultExchange(camel);
        e.setProperty(JobsApi.CLAIM_KEYS, Arrays.asList("jobs-sig:" + signature, "jobs-nonce:" + signature, "jobs-idem:" + idempotencyKey));
        return e;
    }

    /** What the route does: the shared claim names the job, then it is recorded (unless the claim found an answer). */
    private static Job record(JobsApi api, JobRequest request, Exchange exchange) {
        api.claimShared(exchange);
        return exchange.getProperty(Names.REPLAY_RESPONSE) != null ? null : api.record(request, exchange);
    }

    private static Map<String, Object> answer(Exchange e) {
        return Json.parseObject(e.getProperty(Names.REPLAY_RESPONSE, String.class).getBytes());
    }

    /** The jobs another replica finds active in the bucket (what its dispatch timer works on). */
    private List<String> activeInTheBucket() {
        JobStore other = store();
        other.index().sync();
        return other.active().stream().map(j -> j.jobId).sorted().toList();
    }

    @Test
    void killedBetweenItsClaimAndItsRecord_theRetryRecordsTheJobItNamed() {
        String named = JobKeys.newJobId();
        assertTrue(shared.claim(List.of("jobs-sig:original", "jobs-nonce:original", "jobs-idem:k1"), named).isEmpty(),
                "the original took its keys, then died");
        Exchange retry = post("retry", "k1");
        Job recorded = record(replica(store()), request("m1"), retry);
        assertNotNull(recorded, "the retry records the job (before: a 503 'original request still in progress' after 30 s, "
                + "for every retry until the key expired)");
        assertEquals(named, recorded.jobId);
        assertEquals(named, retry.getProperty("jobId"), "and dispatches it itself");
        assertNull(retry.getProperty("replayResponse"));
        Exchange later = post("later", "k1");
        assertNull(record(replica(store()), request("m1"), later), "a later copy records nothing");
        assertEquals(Map.of("jobId", named, "status", "queued"), answer(later));
        Exchange sameSignature = post("retry", "other-key");
        assertNull(record(replica(store()), request("m1"), sameSignature));
        assertEquals(Map.of("jobId", named, "status", "queued"), answer(sameSignature), "the retry's own signature is answered too");
        assertEquals(List.of(named), activeInTheBucket(), "one job");
    }

    @Test
    void killedBetweenItsRecordAndItsAnswer_theRetryIsAnsweredWithThatJob() {
        String named = JobKeys.newJobId();
        JobStore original = store();
        assertTrue(shared.claim(List.of("jobs-sig:o2", "jobs-idem:k2"), named).isEmpty());
        original.create(new Job(named, "m2", request("m2").engine(), request("m2").options(), System.currentTimeMillis(), "cb-secret"));
        // and then the process died before its answer (in the dispatch, say)
        Exchange retry = post("retry2", "k2");
        assertNull(record(replica(store()), request("m2"), retry), "nothing new is recorded");
        assertEquals(Map.of("jobId", named, "status", "queued"), answer(retry));
        assertEquals(List.of(named), activeInTheBucket(), "the job keeps its place in the active index");
    }

    @Test
    void aSlowOriginalAndItsCopyMakeOneJobAndGiveOneAnswer() {
        // the original's record is overtaken: just before its write, the copy (another replica) records the job
        AtomicReference<Exchange> copy = new AtomicReference<>();
        AtomicReference<Job> byCopy = new AtomicReference<>();
        StateObjects overtaken = new ForwardingObjects(bucket) {
            @Override
            public Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly) {
                if (key.startsWith(JobKeys.STATE_PREFIX) && createOnly && copy.get() == null) {
                    copy.set(post("copy3", "k3"));
                    byCopy.set(record(replica(store()), request("m3"), copy.get()));
                }
                return inner.put(key, data, ifMatch, createOnly);
            }
        };
        JobsApi original = replica(new JobStore(Duration.ofHours(1), overtaken, new Hmac("unit-test-secret"), Clock.systemUTC()));
        Exchange first = post("o3", "k3");
        assertNull(record(original, request("m3"), first), "the original records nothing: the copy came first");
        assertNotNull(byCopy.get(), "the copy recorded the job");
        String named = byCopy.get().jobId;
        assertEquals(Map.of("jobId", named, "status", "queued"), answer(first), "one answer for both");
        assertNull(first.getProperty("jobId"), "and the copy, not the original, dispatches it");
        assertEquals(List.of(named), activeInTheBucket(), "one job, its active marker kept by the loser");
        Exchange later = post("o3", "k3");
        assertNull(record(replica(store()), request("m3"), later));
        assertEquals(Map.of("jobId", named, "status", "queued"), answer(later));
    }

    /** A store that takes the first write of a job record and then fails to answer it (a timeout), or fails before taking it. */
    private StateObjects failingRecordWrite(boolean takesIt) {
        AtomicBoolean failed = new AtomicBoolean();
        return new ForwardingObjects(bucket) {
            @Override
            public Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly) {
                if (key.startsWith(JobKeys.STATE_PREFIX) && createOnly && failed.compareAndSet(false, true)) {
                    if (takesIt) {
                        inner.put(key, data, ifMatch, createOnly);
                    }
                    throw new IllegalStateException("read timed out");
                }
                return inner.put(key, data, ifMatch, createOnly);
            }
        };
    }

    @Test
    void aRecordTheStoreTookWithoutAnsweringIsTheJobAndItsRetryGetsIt() {
        JobStore timingOut = new JobStore(Duration.ofHours(1), failingRecordWrite(true), new Hmac("unit-test-secret"), Clock.systemUTC());
        Exchange first = post("t1", "k5");
        Job recorded = record(replica(timingOut), request("m5"), first);
        assertNotNull(recorded, "recorded after all (before: a 503, its claims released and its marker deleted, "
                + "so the record stayed, never dispatched, and the retry made a second job)");
        Exchange retry = post("t1-retry", "k5");
        assertNull(record(replica(store()), request("m5"), retry));
        assertEquals(Map.of("jobId", recorded.jobId, "status", "queued"), answer(retry));
        assertEquals(List.of(recorded.jobId), activeInTheBucket(), "one job, active");
    }

    @Test
    void aRecordTheStoreDidNotTakeIsA503AndTheRetryMakesTheJob() {
        JobStore failing = new JobStore(Duration.ofHours(1), failingRecordWrite(false), new Hmac("unit-test-secret"), Clock.systemUTC());
        Exchange first = post("t2", "k6");
        JobsApi api = replica(failing);
        dev.mediaorchestrator.common.HttpError e = org.junit.jupiter.api.Assertions.assertThrows(dev.mediaorchestrator.common.HttpError.class,
                () -> record(api, request("m6"), first));
        assertEquals(503, e.getStatus());
        // the request fails: its claims are released (JobsApi.admit's completion does it in the route)
        @SuppressWarnings("unchecked")
        List<String> held = first.getProperty(JobsApi.SHARED_KEYS, List.class);
        shared.release(held);
        assertEquals(List.of(), activeInTheBucket(), "no job (a marker without its record is not a job)");
        Exchange retry = post("t2-retry", "k6");
        Job recorded = record(replica(store()), request("m6"), retry);
        assertNotNull(recorded, "the retry records the job");
        assertEquals(List.of(recorded.jobId), activeInTheBucket());
    }
}
