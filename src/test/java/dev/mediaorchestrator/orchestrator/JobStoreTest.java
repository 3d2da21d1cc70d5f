package dev.mediaorchestrator.orchestrator;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobStoreTest {
    @Test
    void jobIdsAreJobPlus26Base32CharactersAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = JobStore.newJobId();
            assertTrue(JobStore.isJobId(id), id);
            assertTrue(seen.add(id));
        }
        // every base32 position varies (130 random bits, not a counter)
        Set<Character> last = new HashSet<>();
        seen.forEach(id -> last.add(id.charAt(id.length() - 1)));
        assertTrue(last.size() > 16, "last character varies: " + last);
        assertFalse(JobStore.isJobId("job_../../x"));
    }

    @Test
    void documentHasTheContractFieldsAndNoOptions() {
        JobStore store = new JobStore(Duration.ofMinutes(1));
        Job job = new Job("job_aaaaaaaaaaaaaaaaaaaaaaaaaa", "m1", Engine.DOWNLOADER,
                Map.of("url", "https://x", "proxy", Map.of("password", "pw")), 1000, "n");
        store.put(job);
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

    @Test
    void theTerminalListenerHearsOfEachChangeThatLeavesAJobTerminalOnly() {
        JobStore store = new JobStore(Duration.ofMinutes(1));
        java.util.List<String> heard = new java.util.ArrayList<>();
        store.onTerminal(j -> heard.add(j.jobId + ":" + j.status));
        Job job = new Job("job_cccccccccccccccccccccccccc", "m1", Engine.BURNER, Map.of(), 1000, "n");
        store.put(job);
        store.update(job.jobId, j -> j.progress = 0.5);
        assertEquals(java.util.List.of(), heard, "not terminal yet");
        store.update(job.jobId, j -> JobTransitions.terminate(j, "failed", "boom", 2000));
        assertEquals(java.util.List.of("job_cccccccccccccccccccccccccc:failed"), heard);
    }
}
