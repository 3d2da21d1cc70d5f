package dev.mediaorchestrator.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

import java.io.IOException;
import java.util.Set;

/**
 * Drops Vert.x's ERROR for a client that went away: when a reader resets its connection while a
 * file is sent to it (sendfile, in 1 MiB regions), {@code io.vertx.core.net.impl.ConnectionBase}
 * logs "Connection reset by peer" at ERROR with a stack trace, whatever handlers are set (40
 * stalled readers that give up made 80 such traces). A client closing its own connection is not the
 * service's error: the sender already logs it as one DEBUG line
 * ({@code artifact … not fully sent from its file}). Only that logger, only those two messages.
 */
public final class PeerGoneFilter extends TurboFilter {
    static final String LOGGER = "io.vertx.core.net.impl.ConnectionBase";
    private static final Set<String> PEER_GONE = Set.of("Connection reset by peer", "Broken pipe");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (logger == null || !LOGGER.equals(logger.getName())) {
            return FilterReply.NEUTRAL;
        }
        boolean gone = t instanceof IOException io ? peerGone(io.getMessage()) : t == null && peerGone(format);
        return gone ? FilterReply.DENY : FilterReply.NEUTRAL;
    }

    private static boolean peerGone(String message) {
        return message != null && PEER_GONE.contains(message);
    }
}
