package dev.mediaorchestrator.common;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.ExecutorServiceManager;

import java.util.concurrent.ExecutorService;

/**
 * Where a bean's background threads come from. In the service: Camel's {@link ExecutorServiceManager}
 * (named pools, listed and shut down with the context). {@link #PLAIN}: daemon threads of
 * {@link Threads}, for a bean built without a context (unit tests that construct it alone).
 */
public interface Pools {
    ExecutorService fixed(String name, int size);

    /** Threads made on demand and ended when idle. */
    ExecutorService cached(String name);

    Pools PLAIN = new Pools() {
        @Override
        public ExecutorService fixed(String name, int size) {
            return Threads.daemonPool(name, size);
        }

        @Override
        public ExecutorService cached(String name) {
            return Threads.cachedDaemonPool(name);
        }
    };

    static Pools of(CamelContext context) {
        ExecutorServiceManager manager = context.getExecutorServiceManager();
        return new Pools() {
            @Override
            public ExecutorService fixed(String name, int size) {
                return manager.newFixedThreadPool(this, name, size);
            }

            @Override
            public ExecutorService cached(String name) {
                return manager.newCachedThreadPool(this, name);
            }
        };
    }
}
