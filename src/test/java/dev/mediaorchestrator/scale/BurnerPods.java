package dev.mediaorchestrator.scale;

import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.TestServers;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two burner processes on one port, {@code 127.0.0.2:P} and {@code 127.0.0.3:P}, behind a
 * round-robin "Service" on {@code 127.0.0.1:P} ({@link RoundRobinProxy}): pods behind a Kubernetes
 * Service, each with its own address. Burner {@code i} works in {@code work/burner{i}} with
 * {@code slots} slots and the given ffmpeg, at preset {@code ultrafast}. A port another process took
 * in the meantime is tried again with another, up to five times.
 */
final class BurnerPods implements AutoCloseable {
    private final int port;
    private RoundRobinProxy service;
    private final RunningApp[] burners = new RunningApp[2];

    private BurnerPods(int port) {
        this.port = port;
    }

    static BurnerPods start(Path work, Path ffmpeg, int slots) throws Exception {
        for (int attempt = 1; ; attempt++) {
            BurnerPods pods = new BurnerPods(TestServers.freePort());
            try {
                pods.startAll(work, ffmpeg, slots);
                return pods;
            } catch (BindException e) {
                pods.close();
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    private void startAll(Path work, Path ffmpeg, int slots) throws Exception {
        service = new RoundRobinProxy("burner service", new InetSocketAddress("127.0.0.1", port), List.of(pod(0), pod(1)));
        for (int i = 0; i < burners.length; i++) {
            Map<String, String> env = new HashMap<>();
            env.put("ROLES", "burner");
            env.put("HOST", pod(i).getHost());
            env.put("PORT", String.valueOf(port));
            env.put("RUNNER_WORK_DIR", work.resolve("burner" + i).toString());
            env.put("RUNNER_MAX_CONCURRENCY", String.valueOf(slots));
            env.put("FFMPEG_BIN", ffmpeg.toString());
            env.put("BURNER_X264_PRESET", "ultrafast");
            try {
                burners[i] = RunningApp.start(env);
            } catch (Exception e) {
                for (Throwable t = e; t != null; t = t.getCause()) {
                    if (t instanceof BindException b) {
                        throw b;
                    }
                }
                throw e;
            }
        }
    }

    /** The Service in front of the two: what {@code CONTAINER_BASE_URL} names, and what it saw. */
    RoundRobinProxy service() {
        return service;
    }

    /** Burner {@code i}'s own address (its pod's). */
    URI pod(int i) {
        return URI.create("http://127.0.0." + (i + 2) + ":" + port);
    }

    @Override
    public void close() {
        for (int i = 0; i < burners.length; i++) {
            if (burners[i] != null) {
                burners[i].close();
                burners[i] = null;
            }
        }
        if (service != null) {
            service.close();
        }
    }
}
