package dev.mediaorchestrator.orchestrator;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobStoreTest {
    @Test
    void jobIdsAreJobPlus26Base32CharactersAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = JobKeys.newJobId();
            assertTrue(JobKeys.isJobId(id), id);
            assertTrue(seen.add(id));
        }
        // every base32 position varies (130 random bits, not a counter)
        Set<Character> last = new HashSet<>();
        seen.forEach(id -> last.add(id.charAt(id.length() - 1)));
        assertTrue(last.size() > 16, "last character varies: " + last);
        assertFalse(JobKeys.isJobId("job_../../x"));
    }

    @Test
    void documentHasTheContractFieldsAndNoOptions() {
        JobStore store = new JobStore(Duration.ofMinutes(1));
        Job job = new Job("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "m1", Engine.DOWNLOADER,
                Map.of("url", "https://x", "proxy", Map.of("password", "pw")), 1000, "n");
        store.create(job);
        Map<String, Object> d = store.get(job.jobId).orElseThrow().document();
        for (String f : new String[]{"jobId", "mediaId", "engine", "status", "phase", "progress", "outputKey",
                "outputAudioKey", "outputMetadataKey", "outputs", "metadata", "error", "createdAt", "ts", "durationMs", "attempts"}) {
            assertTrue(d.containsKey(f), f);
        }
        assertEquals("downloads/m1/job_aaaaaaaaaaaaaaaaaaaaaaaaaa/video.mp4", d.get("outputKey"));
        assertEquals("downloads/m1/job_aaaaaaaaaaaaaaaaaaaaaaaaaa/audio.mp3", d.get("outputAudioKey"));
        assertEquals("downloads/m1/job_aaaaaaaaaaaaaaaaaaaaaaaaaa/metadata.json", d.get("outputMetadataKey"));
        assertFalse(d.toString().contains("pw"), "engine options are not shown");
        Job burner = new Job("job_bbbbbbbbbbbbbbbbbbbbbbbbbb", "m1", Engine.BURNER, Map.of(), 1000, "n");
        assertEquals("outputs/by-media/m1/job_bbbbbbbbbbbbbbbbbbbbbbbbbb/video.mp4", burner.document().get("outputKey"));
        assertEquals(null, burner.document().get("outputAudioKey"));
    }

    /** In-memory objects that count the reads of job records. */
    private static final class Counting extends ForwardingObjects {
        final AtomicInteger recordReads = new AtomicInteger();

        Counting() {
            super(StateObjects.inMemory());
        }

        @Override
        public Optional<dev.mediaorchestrator.storage.Storage.Versioned> get(String key) {
            if (key.startsWith(JobKeys.STATE_PREFIX)) {
                recordReads.incrementAndGet();
            }
            return inner.get(key);
        }
    }

    private static final dev.mediaorchestrator.common.Hmac HMAC = new dev.mediaorchestrator.common.Hmac("k");

    private static Job finished(JobStore store, Job job) {
        store.create(job);
        store.transition(job.jobId, j -> {
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, "failed", "x", j.createdAt + 1);
            return d.build();
        });
        return store.transition(job.jobId, j -> {
            Job.Draft d = j.draft();
            d.callback = d.callback.attempted(true, 200, null, 0, false, Map.of("status", 200));
            return d.build();
        }).orElseThrow();
    }

    @Test
    void aStartReadsOnlyTheActiveJobsHoweverLongTheHistory() {
        Counting objects = new Counting();
        JobStore first = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        assertEquals(0, first.index().recover(), "the first start on an empty bucket");
        for (int i = 0; i < 10_000; i++) {
            assertTrue(finished(first, new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), System.currentTimeMillis(), "n")).isDone());
        }
        for (int i = 0; i < 3; i++) {
            first.create(new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), System.currentTimeMillis(), "n"));
        }
        assertEquals(3, objects.list(JobKeys.ACTIVE_PREFIX).size(), "a finished job leaves the active index");
        objects.recordReads.set(0);
        JobStore restarted = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        assertEquals(3, restarted.index().recover());
        assertEquals(3, objects.recordReads.get(), "one read per active job, none of the 10,000 finished ones");
        restarted.close();
        first.close();
    }

    @Test
    void retentionDeletesDoneRecordsPastTheirTtlOnly() {
        StateObjects objects = StateObjects.inMemory();
        AtomicLong now = new AtomicLong(System.currentTimeMillis());
        Clock clock = new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(now.get());
            }
        };
        JobStore store = new JobStore(Duration.ofMinutes(10), objects, HMAC, clock);
        Job done = finished(store, new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), now.get(), "n"));
        Job running = store.create(new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), now.get(), "n"));
        Job undelivered = store.create(new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), now.get(), "n"));
        store.transition(undelivered.jobId, j -> {
            Job.Draft d = j.draft();
            JobTransitions.terminate(d, "failed", "x", now.get());
            return d.build();
        });
        assertEquals(0, store.retention().sweep(), "nothing is older than the TTL yet");
        now.addAndGet(Duration.ofMinutes(11).toMillis());
        assertEquals(1, store.retention().sweep());
        assertTrue(store.fresh(done.jobId).isEmpty(), "the done record is gone");
        assertTrue(store.fresh(running.jobId).isPresent(), "a job still running stays");
        assertTrue(store.fresh(undelivered.jobId).isPresent(), "a callback not yet delivered keeps its job");
        store.close();
    }

    /**
     * Issue 22 (found by the scale-out run): a replica whose sync lists a new job's marker before its
     * creator has written the record must not remove the marker, or the job has a record and no
     * marker and only its creator, while it lives, ever works on it. A marker left alone by a
     * creator that died before its record goes after the grace.
     */
    @Test
    void aSyncBetweenTheMarkerAndTheRecordKeepsTheMarker() {
        StateObjects objects = StateObjects.inMemory();
        JobStore creator = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        JobStore other = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        Job job = new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), System.currentTimeMillis(), "n");
        objects.put(JobKeys.ACTIVE_PREFIX + job.jobId, new byte[0], null, false); // create(): the marker first...
        other.index().sync(); // ...another replica's sync falls here
        assertTrue(objects.get(JobKeys.ACTIVE_PREFIX + job.jobId).isPresent(), "the marker of a job being created stays");
        creator.create(job); // ...then the record
        assertEquals(1, other.index().sync(), "the other replica works on it");
        JobStore later = new JobStore(Duration.ofDays(1), objects, HMAC,
                Clock.offset(Clock.systemUTC(), Duration.ofMillis(ActiveIndex.UNRECORDED_MARKER_GRACE_MS + 1000)));
        String orphan = JobKeys.newJobId();
        objects.put(JobKeys.ACTIVE_PREFIX + orphan, new byte[0], null, false); // a creator that died before its record
        assertEquals(1, later.index().sync());
        assertFalse(objects.get(JobKeys.ACTIVE_PREFIX + orphan).isPresent(), "a marker without a record goes after the grace");
        creator.close();
        other.close();
        later.close();
    }

    @Test
    void optionsAreSealedInTheRecordAndOpenOnlyWithTheSecret() {
        StateObjects objects = StateObjects.inMemory();
        JobStore store = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        Job job = store.create(new Job(JobKeys.newJobId(), "m", Engine.DOWNLOADER,
                Map.of("url", "https://x", "proxy", Map.of("password", "pw-secret-1")), System.currentTimeMillis(), "n"));
        String raw = new String(objects.get(JobKeys.STATE_PREFIX + job.jobId + ".json").orElseThrow().data(), StandardCharsets.UTF_8);
        assertFalse(raw.contains("pw-secret-1"), raw);
        JobStore again = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        assertEquals(Map.of("password", "pw-secret-1"), again.fresh(job.jobId).orElseThrow().options().get("proxy"));
        JobStore otherSecret = new JobStore(Duration.ofDays(1), objects, new dev.mediaorchestrator.common.Hmac("other"), Clock.systemUTC());
        org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> otherSecret.fresh(job.jobId));
        store.close();
        again.close();
        otherSecret.close();
    }

    @Test
    void aConflictingWriteIsReadAgainAndReapplied() {
        StateObjects objects = StateObjects.inMemory();
        JobStore a = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        JobStore b = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        Job job = a.create(new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), System.currentTimeMillis(), "n"));
        AtomicInteger calls = new AtomicInteger();
        Job after = a.transition(job.jobId, j -> {
            if (calls.incrementAndGet() == 1) {
                // another replica cancels between this read and this write
                b.transition(job.jobId, k -> {
                    Job.Draft d = k.draft();
                    JobTransitions.terminate(d, "canceled", "by b", System.currentTimeMillis());
                    return d.build();
                });
            }
            if (j.isTerminal()) {
                return j;
            }
            Job.Draft d = j.draft();
            JobTransitions.complete(d, System.currentTimeMillis());
            return d.build();
        }).orElseThrow();
        assertEquals(2, calls.get(), "the conflict made the change run again on the new version");
        assertEquals("canceled", after.status, "and it saw the cancel: a terminal job is final");
        a.close();
        b.close();
    }

    /**
     * #31: a change of a job this store wrote last goes straight to the conditional write on the
     * version it knows, without reading the record first (each runner callback cost a record read
     * and a write); the write's {@code If-Match} still decides. When another writer came first, the
     * record is read and the change applied again; a change that finds nothing to do on the known
     * version is decided on a fresh read, as before.
     */
    @Test
    void aChangeOfTheVersionThisStoreWroteLastNeedsNoRead() {
        Counting objects = new Counting();
        JobStore a = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        JobStore b = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        Job job = a.create(new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), System.currentTimeMillis(), "n"));
        objects.recordReads.set(0);
        for (double p : new double[]{0.3, 0.4, 0.5}) {
            Job after = a.transition(job.jobId, j -> {
                Job.Draft d = j.draft();
                d.progress = p;
                return d.build();
            }).orElseThrow();
            assertEquals(p, after.progress, 1e-9);
        }
        assertEquals(0, objects.recordReads.get(), "three changes, no read of the record");

        b.transition(job.jobId, k -> { // another replica writes: a's version is stale now
            Job.Draft d = k.draft();
            d.phase = "uploading";
            return d.build();
        });
        objects.recordReads.set(0);
        Job after = a.transition(job.jobId, j -> {
            Job.Draft d = j.draft();
            d.progress = 0.6;
            return d.build();
        }).orElseThrow();
        assertEquals("uploading", after.phase, "the other writer's change is kept");
        assertEquals(0.6, after.progress, 1e-9);
        assertEquals(1, objects.recordReads.get(), "read once, after the conflict");

        objects.recordReads.set(0);
        Job same = a.transition(job.jobId, j -> j).orElseThrow();
        assertEquals(1, objects.recordReads.get(), "nothing to do on the known version: decided on a fresh read");
        assertEquals(0.6, same.progress, 1e-9);
        a.close();
        b.close();
    }

    @Test
    void jobsRecordedBeforeTheActiveIndexAreFoundOnceAfterTheUpgrade() {
        Counting objects = new Counting();
        JobStore old = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        Job running = old.create(new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), System.currentTimeMillis(), "n"));
        Job finished = finished(old, new Job(JobKeys.newJobId(), "m", Engine.BURNER, Map.of(), System.currentTimeMillis(), "n"));
        for (var l : objects.list(JobKeys.ACTIVE_PREFIX)) {
            objects.delete(l.key()); // as an earlier version left the bucket: records, no index
        }
        JobStore upgraded = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        assertEquals(1, upgraded.index().recover());
        assertEquals(running.jobId, upgraded.active().iterator().next().jobId);
        assertFalse(upgraded.active().stream().anyMatch(j -> j.jobId.equals(finished.jobId)));
        objects.recordReads.set(0);
        JobStore next = new JobStore(Duration.ofDays(1), objects, HMAC, Clock.systemUTC());
        assertEquals(1, next.index().recover());
        assertEquals(1, objects.recordReads.get(), "the full scan happens once");
        old.close();
        upgraded.close();
        next.close();
    }
}
