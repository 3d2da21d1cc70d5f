package dev.mediaorchestrator.cli;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.mediaorchestrator.cli.MainArguments.Command.CHECK;
import static dev.mediaorchestrator.cli.MainArguments.Command.CLIENT;
import static dev.mediaorchestrator.cli.MainArguments.Command.HELP;
import static dev.mediaorchestrator.cli.MainArguments.Command.SERVE;
import static dev.mediaorchestrator.cli.MainArguments.Command.WRONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@code java -jar media-orchestrator.jar ARGS} runs (JarIT runs the jar itself). */
class MainArgumentsTest {
    private static MainArguments.Parsed parse(String... args) {
        return MainArguments.parse(args);
    }

    @Test
    void helpInEveryUsualSpelling() {
        for (String[] args : new String[][]{{"--help"}, {"-h"}, {"help"}, {"serve", "--help"}, {"submit", "--help"}, {"--roles", "burner", "-h"}}) {
            assertEquals(HELP, parse(args).command(), String.join(" ", args));
        }
    }

    @Test
    void serveIsTheDefaultAndTakesRoles() {
        assertEquals(SERVE, parse().command());
        assertEquals(SERVE, parse("serve").command());
        MainArguments.Parsed p = parse("serve", "--roles", "burner");
        assertEquals("burner", p.roles());
        assertEquals("burner", MainArguments.serveEnvironment(p, Map.of("ROLES", "orchestrator", "PORT", "1")).get("ROLES"));
        assertEquals("orchestrator", MainArguments.serveEnvironment(parse(), Map.of("ROLES", "orchestrator")).get("ROLES"));
    }

    @Test
    void clientCommandsAndCheck() {
        for (String command : new String[]{"submit", "status", "deliveries", "redeliver"}) {
            assertEquals(CLIENT, parse(command, "x").command(), command);
        }
        assertEquals(CHECK, parse("check").command());
    }

    @Test
    void anUnknownArgumentIsWrongAndNamed() {
        MainArguments.Parsed p = parse("--frobnicate");
        assertEquals(WRONG, p.command());
        assertEquals("unknown argument: --frobnicate", p.error());
        assertTrue(MainArguments.errorText(p).startsWith("unknown argument: --frobnicate\nusage: java -jar media-orchestrator.jar serve"));
        assertEquals(WRONG, parse("serve", "--roles").command(), "--roles without its value");
        assertEquals(WRONG, parse("check", "now").command());
    }

    @Test
    void theUsageNamesEveryCommandOnce() {
        String usage = MainArguments.usage();
        assertEquals(1, usage.split("usage:", -1).length - 1, usage);
        for (String command : new String[]{"serve", "check", "help", "submit", "status", "deliveries", "redeliver"}) {
            assertTrue(usage.contains("media-orchestrator.jar " + command), command + " in:\n" + usage);
        }
    }
}
