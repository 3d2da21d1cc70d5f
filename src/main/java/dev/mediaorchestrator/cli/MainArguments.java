package dev.mediaorchestrator.cli;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code java -jar media-orchestrator.jar ARGS} is asked to do: serve (the default), a client
 * command ({@link Cli}), {@code check} ({@link DeploymentCheck}), or print the usage. Kept apart
 * from {@code App.main} so the choice is tested without starting a process; a wrong argument is
 * exit status 2 with the usage on stderr, help is the usage on stdout and 0.
 */
public final class MainArguments {
    /** What to run. */
    public enum Command { SERVE, CLIENT, CHECK, HELP, WRONG }

    /**
     * @param command what to run
     * @param roles   {@code --roles} of {@code serve}: the ROLES to use instead of the environment's; null: none given
     * @param error   for {@link Command#WRONG}: what was wrong (printed before the usage)
     */
    public record Parsed(Command command, String roles, String error) {
    }

    private static final Set<String> CLIENT_COMMANDS = Set.of("submit", "status", "deliveries", "redeliver");
    private static final Set<String> HELP = Set.of("--help", "-h", "help");

    private MainArguments() {
    }

    public static Parsed parse(String[] args) {
        List<String> list = List.of(args);
        if (!list.isEmpty() && HELP.contains(list.get(0)) || list.contains("--help") || list.contains("-h")) {
            return new Parsed(Command.HELP, null, null);
        }
        if (!list.isEmpty() && CLIENT_COMMANDS.contains(list.get(0))) {
            return new Parsed(Command.CLIENT, null, null);
        }
        if (!list.isEmpty() && list.get(0).equals("check")) {
            return list.size() == 1 ? new Parsed(Command.CHECK, null, null)
                    : new Parsed(Command.WRONG, null, "check takes no arguments (it reads the service's environment): " + list.get(1));
        }
        String roles = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--roles") && i + 1 < args.length) {
                roles = args[++i];
            } else if (!args[i].equals("serve")) {
                return new Parsed(Command.WRONG, null, "unknown argument: " + args[i]);
            }
        }
        return new Parsed(Command.SERVE, roles, null);
    }

    /** The usage of every command, the service's first. */
    public static String usage() {
        return """
                usage: java -jar media-orchestrator.jar serve [--roles orchestrator,burner,downloader]
                                                            run the service (also with no command; settings: the environment)
                       java -jar media-orchestrator.jar check
                                                            check the deployment's wiring with the service's environment:
                                                            the bucket, presigned URLs, runners, the app, the clock
                                                            (exit status 0 only when every check passes)
                       java -jar media-orchestrator.jar help    this text (also --help, -h)
                """ + Cli.usage().replaceFirst("^usage: ", "       ");
    }

    /** What {@code main} prints for {@link Command#WRONG}. */
    public static String errorText(Parsed parsed) {
        return parsed.error() + "\n" + usage();
    }

    /** The environment of {@code serve}: the process's, with {@code --roles} as ROLES when given. */
    public static Map<String, String> serveEnvironment(Parsed parsed, Map<String, String> env) {
        Map<String, String> out = new HashMap<>(env);
        if (parsed.roles() != null) {
            out.put("ROLES", parsed.roles());
        }
        return out;
    }
}
