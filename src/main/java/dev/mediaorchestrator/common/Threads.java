package dev.mediaorchestrator.common;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Small fixed pools of named daemon threads for the orchestrator's background work. */
public final class Threads {
    private Threads() {
    }

    public static ExecutorService daemonPool(String name, int size) {
        return Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }
}
