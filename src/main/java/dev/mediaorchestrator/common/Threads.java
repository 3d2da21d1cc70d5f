package dev.mediaorchestrator.common;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Plain pools of named daemon threads: {@link Pools#PLAIN}, for beans built without a Camel context. */
public final class Threads {
    private Threads() {
    }

    public static ExecutorService daemonPool(String name, int size) {
        return Executors.newFixedThreadPool(size, r -> daemon(r, name));
    }

    public static ExecutorService cachedDaemonPool(String name) {
        return Executors.newCachedThreadPool(r -> daemon(r, name));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
