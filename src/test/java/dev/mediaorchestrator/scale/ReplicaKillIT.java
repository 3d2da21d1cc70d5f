package dev.mediaorchestrator.scale;

import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.Map;

/**
 * Issue 29: three orchestrator processes on one bucket divide 36 open jobs (12 recorded by each);
 * the leader is SIGKILLed with its 12, every output is put in the bucket, and every job completes
 * with exactly one terminal callback: the dead leader's through the replica that takes the lead
 * (its lease runs out) and works the jobs of members that are gone. bench/replica-timers runs the
 * same at 2 000 jobs with the request rates ({@link ReplicaTimers}).
 */
@IntegrationTest
class ReplicaKillIT {
    @Test
    void theKilledLeadersJobsCompleteEachWithOneCallback() throws Exception {
        ReplicaTimers.Result r = ReplicaTimers.run(new ReplicaTimers.Settings(3, 36, Duration.ofSeconds(20), Duration.ofSeconds(5), true, true,
                Path.of("target/media-orchestrator.jar"), System.out));
        assertTrue(r.ok(), String.join("\n", r.problems()));
        assertEquals(36, r.completed());
        assertEquals(Map.of(1, 36), r.callbackTally());
    }
}
