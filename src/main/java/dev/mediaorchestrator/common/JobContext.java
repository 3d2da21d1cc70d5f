package dev.mediaorchestrator.common;

import org.slf4j.MDC;

/**
 * The job a thread is working for, kept in the logging context (MDC key {@value #MDC_KEY}) so that
 * every log line of a job carries its id. Camel exchanges get it from {@link JobUnitOfWorkFactory};
 * code that works for a job outside a Camel exchange (timers looping over jobs, executor tasks)
 * sets it with {@link #set(String)} or {@link #wrap(String, Runnable)}.
 */
public final class JobContext {
    public static final String MDC_KEY = "jobId";

    private JobContext() {
    }

    /** The job id if it looks like one (at most 64 of {@code [A-Za-z0-9_-]}): nothing else reaches the logs. */
    static String valid(String jobId) {
        if (jobId == null || jobId.isEmpty() || jobId.length() > 64) {
            return null;
        }
        for (int i = 0; i < jobId.length(); i++) {
            char c = jobId.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return null;
            }
        }
        return jobId;
    }

    /** From now on this thread works for {@code jobId} (null or not an id: for no job). */
    public static void set(String jobId) {
        String id = valid(jobId);
        if (id == null) {
            MDC.remove(MDC_KEY);
        } else {
            MDC.put(MDC_KEY, id);
        }
    }

    /** The job this thread works for, or null. */
    public static String current() {
        return MDC.get(MDC_KEY);
    }

    public static void clear() {
        MDC.remove(MDC_KEY);
    }

    /** {@code task} run in the context of {@code jobId}; the thread's previous context is restored after it. */
    public static Runnable wrap(String jobId, Runnable task) {
        return () -> {
            String previous = current();
            set(jobId);
            try {
                task.run();
            } finally {
                set(previous);
            }
        };
    }
}
