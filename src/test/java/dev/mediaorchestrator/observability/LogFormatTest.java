package dev.mediaorchestrator.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.spi.FilterReply;
import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Json;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service's logback.xml (not the tests' one), loaded into a context of its own: LOG_FORMAT
 * selects the text or the JSON appender, and both print the job id from the MDC.
 */
class LogFormatTest {

    private static LoggerContext configured(String logFormat) throws Exception {
        LoggerContext context = new LoggerContext();
        if (logFormat != null) {
            context.putProperty("LOG_FORMAT", logFormat);
        }
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
        return context;
    }

    private static LoggingEvent event(LoggerContext context, String jobId) {
        LoggingEvent e = new LoggingEvent("x", context.getLogger("dev.mediaorchestrator.JobSummary"), Level.INFO,
                "job {} ended", null, new Object[]{"job_abc"});
        e.setMDCPropertyMap(jobId == null ? Map.of() : Map.of("jobId", jobId));
        e.addKeyValuePair(new KeyValuePair("engine", "burner-ffmpeg"));
        return e;
    }

    private static Appender<ILoggingEvent> appender(LoggerContext context, String name) {
        return context.getLogger("ROOT").getAppender(name);
    }

    private static String encode(Appender<ILoggingEvent> appender, ILoggingEvent event) {
        return new String(((OutputStreamAppender<ILoggingEvent>) appender).getEncoder().encode(event), StandardCharsets.UTF_8);
    }

    @Test
    void textByDefaultWithTheJobIdAfterTheLogger() throws Exception {
        LoggerContext context = configured(null);
        try {
            Appender<ILoggingEvent> text = appender(context, "TEXT");
            Appender<ILoggingEvent> json = appender(context, "JSON");
            LoggingEvent e = event(context, "job_abc");
            assertEquals(FilterReply.NEUTRAL, text.getFilterChainDecision(e));
            assertEquals(FilterReply.DENY, json.getFilterChainDecision(e));
            String line = encode(text, e);
            assertTrue(line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[.*] d\\.m\\.JobSummary jobId=job_abc - job job_abc ended\\R"), line);
            String noJob = encode(text, event(context, null));
            assertTrue(noJob.contains("d.m.JobSummary - job job_abc ended"), noJob);
        } finally {
            context.stop();
        }
    }

    @Test
    void jsonWhenAsked() throws Exception {
        for (String value : List.of("json", " JSON ")) {
            LoggerContext context = configured(value);
            try {
                Appender<ILoggingEvent> json = appender(context, "JSON");
                LoggingEvent e = event(context, "job_abc");
                assertEquals(FilterReply.DENY, appender(context, "TEXT").getFilterChainDecision(e));
                assertEquals(FilterReply.NEUTRAL, json.getFilterChainDecision(e));
                String line = encode(json, e);
                assertEquals(1, line.strip().lines().count(), "one line per event: " + line);
                Map<String, Object> object = Json.parseObject(line.getBytes(StandardCharsets.UTF_8));
                assertEquals("INFO", object.get("level"));
                assertEquals("dev.mediaorchestrator.JobSummary", object.get("loggerName"));
                assertEquals("job job_abc ended", object.get("formattedMessage"));
                assertEquals(Map.of("jobId", "job_abc"), object.get("mdc"));
                assertTrue(String.valueOf(object.get("kvpList")).contains("burner-ffmpeg"), line);
            } finally {
                context.stop();
            }
        }
    }

    @Test
    void anUnknownFormatFailsTheStartNamingTheVariable() {
        Config.ConfigException e = assertThrows(Config.ConfigException.class, () -> Config.fromEnv(Map.of("LOG_FORMAT", "xml")));
        assertTrue(e.getMessage().startsWith("LOG_FORMAT:"), e.getMessage());
        assertEquals("json", Config.fromEnv(Map.of("LOG_FORMAT", "JSON")).logFormat);
        assertEquals("text", Config.fromEnv(Map.of()).logFormat);
    }
}
