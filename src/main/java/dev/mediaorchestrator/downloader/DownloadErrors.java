package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.runner.JobProcessExecutor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The texts of a downloader job's failures: a tool's output cut to its last lines and scrubbed of
 * the job's secrets (proxy credentials, cookie values, the egress guard's password, the source
 * URL's query and user info), so that nothing secret reaches a log or a callback.
 */
final class DownloadErrors {
    private DownloadErrors() {
    }

    /** Removes the plan's secrets and the source URL's query from a tool's message. */
    static String scrub(Download d, String text) {
        Set<String> secrets = new LinkedHashSet<>(d.plan == null ? Set.of() : d.plan.secrets());
        secrets.addAll(d.cookieValues);
        EgressGuard guard = d.guard;
        if (guard != null) {
            secrets.add(guard.secret());
        }
        Urls.Parts source = Urls.split(d.options.url());
        int q = source.rest() == null ? -1 : source.rest().indexOf('?');
        if (q >= 0) {
            secrets.add(source.rest().substring(q + 1));
        }
        if (source.userInfo() != null) {
            secrets.add(source.userInfo());
        }
        return Redactor.scrub(text, secrets);
    }

    /** Which proxy a failed download went through, without credentials. */
    static String via(Download d) {
        return switch (d.plan.kind()) {
            case YTDLP_PROXY -> " (via proxy " + Redactor.url(d.plan.ytDlpProxyUrl().orElseThrow()) + ")";
            case MIHOMO -> " (via mihomo on 127.0.0.1:" + d.mihomoPorts.mihomoPort() + ")";
            case NONE -> "";
        };
    }

    /** A tool's captured output as text (empty when there is none). */
    static String text(InputStream in) {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The end of a log file as text (empty when it cannot be read). */
    static String tailOf(Path file) {
        try {
            return new String(JobProcessExecutor.tail(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The last {@code n} non-blank lines joined with " | ", or {@code fallback} when there are none. */
    static String lastLines(String text, int n, String fallback) {
        List<String> lines = text == null ? List.of() : text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (lines.isEmpty()) {
            return fallback;
        }
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }
}
