package dev.mediaorchestrator.observability;

import dev.mediaorchestrator.common.JobContext;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every log event of the JVM while open (a logback appender on the root logger), with its MDC and
 * thread name taken when it was logged. Test classes run in parallel: filter by what the test owns
 * (its job ids).
 */
final class CapturedLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
    private final Logger root;

    CapturedLogs() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        setContext(context);
        setName("captured-" + System.identityHashCode(this));
        start();
        root.addAppender(this);
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing(); // MDC, thread name and message as they are now
        events.add(event);
    }

    /** The events whose message or MDC mentions {@code text}. */
    List<ILoggingEvent> about(String text) {
        return events.stream().filter(e -> e.getFormattedMessage().contains(text)
                || text.equals(e.getMDCPropertyMap().get(JobContext.MDC_KEY))).toList();
    }

    @Override
    public void close() {
        root.detachAppender(this);
        stop();
    }
}
