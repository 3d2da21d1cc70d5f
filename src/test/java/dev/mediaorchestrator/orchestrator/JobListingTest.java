package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.HttpError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 21: GET /jobs — newest first, filters, limit, cursor; other replicas' jobs from the bucket. */
class JobListingTest {
    private final long[] now = {1_800_000_000_000L};
    private final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return Instant.ofEpochMilli(now[0]); }
    };
    private final StateObjects bucket = StateObjects.inMemory();
    private final Hmac hmac = new Hmac("listing-test-secret");
    /** Where a store's changes go, as direct:job-changed in the service. */
    private final ChangeRoute changes = new ChangeRoute();

    JobListingTest() throws Exception {
    }

    private static String id(int i) {
        String s = Integer.toString(i, 32).replace('0', 'a').replace('1', 'b'); // base32 letters and digits 2-7 only
        StringBuilder b = new StringBuilder("job_");
        for (int k = 0; k < 26 - s.length(); k++) {
            b.append('a');
        }
        return b.append(s.replace('8', 'c').replace('9', 'd')).toString();
    }

    private Job job(int i, String mediaId, Engine engine) {
        return new Job(id(i), mediaId, engine, Map.of("url", "https://secret.example/x?token=t0p"), now[0] + i * 1000L, "n" + i);
    }

    @SuppressWarnings("unchecked")
    private static List<String> ids(Map<String, Object> page) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> j : (List<Map<String, Object>>) page.get("jobs")) {
            out.add((String) j.get("jobId"));
        }
        return out;
    }

    @AfterEach
    void closeRoutes() {
        changes.close();
    }

    @Test
    void newestFirstWithFiltersAndACursorThatWalksEveryJobOnce() {
        JobStore store = changes.store(Duration.ofDays(1), bucket, hmac, clock);
        JobListing listing = new JobListing(store, clock);
        changes.to(listing::learn); // direct:job-changed: a change made here is listed at once
        for (int i = 1; i <= 7; i++) {
            store.create(job(i, i % 2 == 0 ? "even" : "odd", i <= 4 ? Engine.BURNER : Engine.DOWNLOADER));
        }
        assertTrue(JobKeys.isJobId(id(7)));
        Map<String, Object> first = listing.page(null, null, null, "3", null);
        assertEquals(List.of(id(7), id(6), id(5)), ids(first));
        Map<String, Object> second = listing.page(null, null, null, "3", (String) first.get("nextCursor"));
        assertEquals(List.of(id(4), id(3), id(2)), ids(second));
        Map<String, Object> third = listing.page(null, null, null, "3", (String) second.get("nextCursor"));
        assertEquals(List.of(id(1)), ids(third));
        assertNull(third.get("nextCursor"));

        assertEquals(List.of(id(6), id(4), id(2)), ids(listing.page(null, null, "even", null, null)));
        assertEquals(List.of(id(4), id(3), id(2), id(1)), ids(listing.page(null, "burner-ffmpeg", null, null, null)));
        store.transition(id(3), j -> {
            Job.Draft d = j.draft();
            d.status = "failed";
            d.phase = "failed";
            d.error = "boom";
            return d.build();
        });
        assertEquals(List.of(id(3)), ids(listing.page("failed", null, null, null, null)));
        String shown = listing.page(null, null, null, null, null).toString();
        assertFalse(shown.contains("t0p") || shown.contains("secret.example"), "no options in the listing: " + shown);
    }

    @Test
    void badParametersAreA400NamingThem() {
        JobListing listing = new JobListing(new JobStore(Duration.ofDays(1), bucket, hmac, clock), clock);
        assertEquals("status must be one of [canceled, completed, failed, fetching_metadata, preparing, queued, running, uploading]",
                assertThrows(HttpError.class, () -> listing.page("done", null, null, null, null)).getError());
        assertTrue(assertThrows(HttpError.class, () -> listing.page(null, "ffmpeg", null, null, null)).getError().startsWith("engine must be"));
        assertTrue(assertThrows(HttpError.class, () -> listing.page(null, null, "../x", null, null)).getError().startsWith("mediaId"));
        for (String limit : new String[]{"0", "201", "x", "-1"}) {
            assertTrue(assertThrows(HttpError.class, () -> listing.page(null, null, null, limit, null)).getError().startsWith("limit must be"));
        }
        for (String cursor : new String[]{"nope", "MTIzOmpvYl94", "%%%"}) {
            assertEquals("cursor is not one this service gave",
                    assertThrows(HttpError.class, () -> listing.page(null, null, null, null, cursor)).getError());
        }
    }

    @Test
    void jobsOfAnotherReplicaAndTheirChangesAreListedFromTheBucket() {
        JobStore mine = changes.store(Duration.ofDays(1), bucket, hmac, clock);
        JobStore other = new JobStore(Duration.ofDays(1), bucket, hmac, clock);
        JobListing listing = new JobListing(mine, clock);
        changes.to(listing::learn);
        mine.create(job(1, "m", Engine.BURNER));
        assertEquals(List.of(id(1)), ids(listing.page(null, null, null, null, null)));

        other.create(job(2, "m", Engine.BURNER));
        assertEquals(List.of(id(1)), ids(listing.page(null, null, null, null, null)), "within the refresh interval: the last listing");
        now[0] += JobListing.REFRESH_MS;
        assertEquals(List.of(id(2), id(1)), ids(listing.page(null, null, null, null, null)), "the other replica's job, from the bucket");

        other.transition(id(2), j -> {
            Job.Draft d = j.draft();
            d.status = "running";
            d.phase = "running";
            return d.build();
        });
        now[0] += JobListing.REFRESH_MS;
        assertEquals(List.of(id(2)), ids(listing.page("running", null, null, null, null)), "its change too");

        // a fresh process (a restart) lists what the bucket holds
        JobListing restarted = new JobListing(new JobStore(Duration.ofDays(1), bucket, hmac, clock), clock);
        assertEquals(List.of(id(2), id(1)), ids(restarted.page(null, null, null, null, null)));

        bucket.delete(JobKeys.STATE_PREFIX + id(1) + ".json"); // retention
        now[0] += JobListing.REFRESH_MS * 2;
        assertEquals(List.of(id(2)), ids(listing.page(null, null, null, null, null)), "a record gone from the bucket leaves the listing");
    }

    @Test
    void theTimelineNotesEachPhaseWithItsTime() {
        JobStore store = new JobStore(Duration.ofDays(1), bucket, hmac, clock);
        store.create(job(1, "m", Engine.BURNER));
        for (String phase : new String[]{"preparing", "running", "running", "completed"}) {
            now[0] += 1000;
            store.transition(id(1), j -> {
                Job.Draft d = j.draft();
                d.phase = phase;
                d.progress = j.progress + 0.1;
                return d.build();
            });
        }
        List<Map<String, Object>> t = store.get(id(1)).orElseThrow().timeline;
        assertEquals(List.of("queued", "preparing", "running", "completed"), t.stream().map(e -> e.get("phase")).toList());
        assertEquals(now[0], ((Number) t.get(3).get("at")).longValue());
        // and it survives the record's round trip
        JobStore reader = new JobStore(Duration.ofDays(1), bucket, hmac, clock);
        assertEquals(t, reader.fresh(id(1)).orElseThrow().timeline);
    }

    @Test
    void aSlowFirstReadOfTheBucketNeitherHoldsTheAnswerNorOtherRequests() throws Exception {
        JobStore before = new JobStore(Duration.ofDays(1), bucket, hmac, clock);
        String newest = null;
        for (int i = 1; i <= 20; i++) {
            newest = before.create(new Job(JobKeys.newJobId(), "m" + i, Engine.DOWNLOADER, Map.of(), now[0] + i * 1000L, "n" + i)).jobId;
        }
        // a new process on the same bucket (a restart, another replica), whose record reads hang
        // until released: R2 at 100 000 retained jobs, in effect
        CountDownLatch gate = new CountDownLatch(1);
        StateObjects slow = new ForwardingObjects(bucket) {
            @Override
            public Optional<dev.mediaorchestrator.storage.Storage.Versioned> get(String key) {
                if (key.startsWith(JobKeys.STATE_PREFIX)) {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return inner.get(key);
            }
        };
        JobListing listing = new JobListing(new JobStore(Duration.ofDays(1), slow, hmac, clock), clock);
        try {
            Map<String, Object> first = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> listing.page(null, null, null, null, null),
                    "the first listing answers while the bucket's records are still being read (before: it waited for all of them)");
            assertEquals(Boolean.TRUE, first.get("partial"), "and says it is partial");
            assertEquals(List.of(), ids(first));
            Map<String, Object> second = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> listing.page(null, "media-downloader", null, null, null), "a second request does not queue behind the first's refresh");
            assertEquals(Boolean.TRUE, second.get("partial"));
            gate.countDown();
            Map<String, Object> done = null;
            for (int attempt = 0; attempt < 100 && (done == null || done.get("partial") != null); attempt++) {
                Thread.sleep(100);
                done = listing.page(null, null, null, "50", null);
            }
            assertNull(done.get("partial"), "once read, the listing is whole");
            assertEquals(20, ids(done).size());
            assertEquals(newest, ids(done).get(0), "newest first");
        } finally {
            gate.countDown();
            listing.close();
        }
    }
}
