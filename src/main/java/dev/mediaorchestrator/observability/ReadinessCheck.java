package dev.mediaorchestrator.observability;

import org.apache.camel.impl.health.AbstractHealthCheck;

/** A check of whether the process can do its work now (readiness only: failing it never calls for a restart). */
abstract class ReadinessCheck extends AbstractHealthCheck {
    ReadinessCheck(String id) {
        super("mediaorch", id);
    }

    @Override
    public boolean isLiveness() {
        return false;
    }
}
