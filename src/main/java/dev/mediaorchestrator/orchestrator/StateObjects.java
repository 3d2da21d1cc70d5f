package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.storage.Storage;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The small objects the orchestrator keeps its state in (job records, the active index, replay
 * keys), with the conditional writes that make them safe to share between replicas: create only
 * if absent ({@code If-None-Match: *}), replace only the version read ({@code If-Match}). The bucket
 * in production; {@link #inMemory()} with the same semantics for unit tests.
 */
public interface StateObjects {
    /** The object and its version, or empty when absent. */
    Optional<Storage.Versioned> get(String key);

    /** Writes; with {@code ifMatch} only over that version, with {@code createOnly} only when absent. Empty when the condition failed. */
    Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly);

    void delete(String key);

    List<Storage.Listed> list(String prefix);

    /** Deletes, and logs (at debug) a delete that failed: for what a later sweep or sync removes anyway. */
    default void deleteQuietly(String key) {
        try {
            delete(key);
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(StateObjects.class).debug("cannot delete {}: {}", key, e.toString());
        }
    }

    static StateObjects of(Storage storage) {
        return new StateObjects() {
            @Override
            public Optional<Storage.Versioned> get(String key) {
                return storage.getSmall(key);
            }

            @Override
            public Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly) {
                return storage.putSmall(key, data, "application/json", ifMatch, createOnly);
            }

            @Override
            public void delete(String key) {
                storage.delete(key);
            }

            @Override
            public List<Storage.Listed> list(String prefix) {
                return storage.listWithTimes(prefix);
            }
        };
    }

    static StateObjects inMemory() {
        Map<String, Storage.Versioned> objects = new ConcurrentHashMap<>();
        Map<String, Instant> times = new ConcurrentHashMap<>();
        AtomicLong versions = new AtomicLong();
        return new StateObjects() {
            @Override
            public Optional<Storage.Versioned> get(String key) {
                return Optional.ofNullable(objects.get(key));
            }

            @Override
            public synchronized Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly) {
                Storage.Versioned current = objects.get(key);
                if ((createOnly && current != null) || (ifMatch != null && (current == null || !ifMatch.equals(current.etag())))) {
                    return Optional.empty();
                }
                String etag = "\"v" + versions.incrementAndGet() + "\"";
                objects.put(key, new Storage.Versioned(data.clone(), etag));
                times.put(key, Instant.now());
                return Optional.of(etag);
            }

            @Override
            public void delete(String key) {
                objects.remove(key);
                times.remove(key);
            }

            @Override
            public List<Storage.Listed> list(String prefix) {
                List<Storage.Listed> l = new ArrayList<>();
                objects.keySet().stream().filter(k -> k.startsWith(prefix)).sorted()
                        .forEach(k -> l.add(new Storage.Listed(k, times.get(k))));
                return l;
            }
        };
    }
}
