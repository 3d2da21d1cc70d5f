package dev.mediaorchestrator.common;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;

/**
 * Remembers accepted signatures, nonces and idempotency keys for a while (10 minutes for
 * signatures and nonces, per CONTRACT.md). Claims are atomic ({@code putIfAbsent}), so two
 * concurrent copies of one request cannot both be accepted. Bound in the Camel registry as a
 * camel-caffeine cache.
 */
public final class ReplayCache {
    private final Cache<String, Object> cache;

    public ReplayCache(Duration ttl) {
        this.cache = Caffeine.newBuilder().expireAfterWrite(ttl).build();
    }

    /**
     * The replay key of a signed body ({@code prefix}: {@code jobs}, {@code cb}): its {@code nonce}
     * when it has one, else its signature. The contract remembers both; the signature covers the
     * nonce, so a body with the same signature has the same nonce, and remembering the nonce alone
     * refuses every replay the pair would (one bucket write per request fewer).
     */
    public static List<String> replayKeys(String prefix, String signature, String nonce) {
        if (nonce != null) {
            return List.of(prefix + "-nonce:" + nonce);
        }
        return signature == null ? List.of() : List.of(prefix + "-sig:" + signature);
    }

    public Cache<String, Object> cache() {
        return cache;
    }

    /**
     * Claims all {@code keys} for {@code value}. Returns null when every key was free (now held by
     * {@code value}); otherwise the value already held under the first taken key, and no key is kept.
     */
    public Object claim(List<String> keys, Object value) {
        ConcurrentMap<String, Object> map = cache.asMap();
        List<String> taken = new ArrayList<>();
        for (String key : keys) {
            if (key == null || taken.contains(key)) {
                continue;
            }
            Object existing = map.putIfAbsent(key, value);
            if (existing != null) {
                for (String k : taken) {
                    map.remove(k, value);
                }
                return existing;
            }
            taken.add(key);
        }
        return null;
    }

    /** Gives up keys held by {@code value} (a request that was not accepted after all). */
    public void release(List<String> keys, Object value) {
        keys.stream().filter(Objects::nonNull).forEach(k -> cache.asMap().remove(k, value));
    }
}
