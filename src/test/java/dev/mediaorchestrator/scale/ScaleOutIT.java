package dev.mediaorchestrator.scale;

import dev.mediaorchestrator.support.IntegrationTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22, the scale-out run at a small size against the packaged jar (scripts/scale-demo runs it
 * at a few hundred jobs): 3 orchestrators on one bucket, 2 burner and 2 downloader runners behind
 * round-robin proxies, 30 jobs; one burner runner and one orchestrator are SIGKILLed mid-run and
 * started again. Every job completes with exactly one terminal callback, every output object is
 * whole, nothing is left half-uploaded, and the jobs of the killed runner completed on another
 * runner process ({@link ScaleRun} checks it all; its report is in this class's output file).
 */
@IntegrationTest
class ScaleOutIT {
    @Test
    void thirtyJobsThroughKilledRunnerAndOrchestrator() throws Exception {
        ScaleRun.Settings defaults = ScaleRun.Settings.of(30, 1.0, System.out);
        ScaleRun.Result r = ScaleRun.run(new ScaleRun.Settings(defaults.jobs(), defaults.submitPerSecond(), defaults.orchestrators(),
                defaults.burners(), defaults.downloaders(), defaults.runnerConcurrency(), defaults.jar(), Duration.ofMinutes(12), System.out));
        assertTrue(r.ok(), String.join("\n", r.problems) + "\n" + String.join("\n", r.report));
        assertEquals(30, r.submitted);
        assertEquals(30, r.completed);
        assertTrue(r.onKilledRunner >= 1, "the runner was killed with a job of its own");
        assertTrue(r.redispatched >= 1, "a job of the killed runner ran again");
    }
}
