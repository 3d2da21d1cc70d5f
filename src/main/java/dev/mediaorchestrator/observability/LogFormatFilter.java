package dev.mediaorchestrator.observability;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

import java.util.Locale;

/**
 * Selects one of the appenders of {@code logback.xml} by {@code LOG_FORMAT} without Janino: each
 * appender has this filter with its {@code format}; the filter passes events only when
 * {@code selected} (the variable's value) names that format. {@code json} selects the JSON appender;
 * anything else (unset, {@code text}) the text one, so a typo never silences the service (startup
 * then fails on the bad value, naming the variable).
 */
public final class LogFormatFilter extends Filter<ILoggingEvent> {
    private String format = "text";
    private String selected = "text";
    private boolean active;

    public void setFormat(String format) {
        this.format = format;
    }

    public void setSelected(String selected) {
        this.selected = selected;
    }

    /** The format a value of LOG_FORMAT selects. */
    public static String selectedFormat(String value) {
        return value != null && value.trim().toLowerCase(Locale.ROOT).equals("json") ? "json" : "text";
    }

    @Override
    public void start() {
        active = selectedFormat(selected).equals(format.trim().toLowerCase(Locale.ROOT));
        super.start();
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return active ? FilterReply.NEUTRAL : FilterReply.DENY;
    }
}
