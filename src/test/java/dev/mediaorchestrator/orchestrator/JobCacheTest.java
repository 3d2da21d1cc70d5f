package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.common.Hmac;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a poll is answered from: never an older version of a job than one it was answered before. */
class JobCacheTest {
    private static Job version(long ts, String status, double progress) {
        Job.Draft d = new Job("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "m1", Engine.BURNER, Map.of(), 1000, "n").draft();
        d.ts = ts;
        d.status = status;
        d.progress = progress;
        return d.build();
    }

    @Test
    void anOlderVersionToldAfterANewerOneIsNotAnswered() {
        JobCache cache = new JobCache(id -> null, job -> { });
        Job older = version(2000, "running", 0.2);
        Job newer = version(2001, "running", 0.356);

        cache.learn(newer); // the thread that wrote the newer version tells it first
        cache.learn(older);

        assertEquals(0.356, cache.get(older.jobId).progress, "the poll stays at the newer version");
        Job done = version(2002, "completed", 1.0);
        cache.learn(done);
        cache.learn(newer);
        assertEquals("completed", cache.get(older.jobId).status, "a completed job is never running again");
    }

    @Test
    void eachVersionWrittenInTheSameMillisecondHasALaterTs() {
        Clock stopped = Clock.fixed(Instant.ofEpochMilli(5000), ZoneOffset.UTC);
        JobStore store = new JobStore(Duration.ofMinutes(10), StateObjects.inMemory(), new Hmac("s"), stopped);
        Job created = store.create(new Job("job_bbbbbbbbbbbbbbbbbbbbbbbbbb", "m1", Engine.BURNER, Map.of(), 5000, "n"));
        Job first = store.transition(created.jobId, j -> {
            Job.Draft d = j.draft();
            d.progress = 0.2;
            return d.build();
        }).orElseThrow();
        Job second = store.transition(created.jobId, j -> {
            Job.Draft d = j.draft();
            d.progress = 0.356;
            return d.build();
        }).orElseThrow();

        assertTrue(created.ts < first.ts && first.ts < second.ts, "ts " + created.ts + ", " + first.ts + ", " + second.ts);
    }
}
