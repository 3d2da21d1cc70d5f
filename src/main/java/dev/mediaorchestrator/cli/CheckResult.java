package dev.mediaorchestrator.cli;

import java.net.URI;

/**
 * One line of {@code check}'s report: passed; failed (with what to fix); a warning, for what the
 * check cannot see from where it runs and the operator confirms elsewhere (it does not fail the
 * check, its line says what to do); or skipped because an earlier check failed. Plain text, one
 * line each ({@code fix:} adds one).
 */
record CheckResult(Status status, String name, String what, String fix) {
    enum Status { OK, WARN, FAIL, SKIP }

    static CheckResult ok(String name, String what) {
        return new CheckResult(Status.OK, name, what, null);
    }

    static CheckResult fail(String name, String what, String fix) {
        return new CheckResult(Status.FAIL, name, what, fix);
    }

    static CheckResult warn(String name, String what, String todo) {
        return new CheckResult(Status.WARN, name, what, todo);
    }

    static CheckResult skip(String name, String what) {
        return new CheckResult(Status.SKIP, name, what, null);
    }

    boolean ok() {
        return status == Status.OK;
    }

    String format() {
        String head = switch (status) {
            case OK -> "ok    ";
            case WARN -> "warn  ";
            case FAIL -> "FAIL  ";
            case SKIP -> "skip  ";
        };
        String next = status == Status.WARN ? "\n      to do: " : "\n      fix: ";
        return head + name + ": " + what + (fix == null ? "" : next + fix);
    }

    /**
     * A URL as the report shows it: scheme, host, port and path only. User info and the query can
     * hold credentials or a signature, and never reach the report.
     */
    static String shown(URI uri) {
        if (uri == null) {
            return "(none)";
        }
        String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        return uri.getScheme() + "://" + uri.getHost() + port + path;
    }
}
