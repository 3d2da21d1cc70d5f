package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.storage.Storage;

import java.util.List;
import java.util.Optional;

/** State objects that forward every call to {@code inner}: a test overrides the call it counts, holds or races. */
class ForwardingObjects implements StateObjects {
    final StateObjects inner;

    ForwardingObjects(StateObjects inner) {
        this.inner = inner;
    }

    @Override
    public Optional<Storage.Versioned> get(String key) {
        return inner.get(key);
    }

    @Override
    public Optional<String> put(String key, byte[] data, String ifMatch, boolean createOnly) {
        return inner.put(key, data, ifMatch, createOnly);
    }

    @Override
    public void delete(String key) {
        inner.delete(key);
    }

    @Override
    public List<Storage.Listed> list(String prefix) {
        return inner.list(prefix);
    }
}
