package dev.mediaorchestrator.storage;

import java.io.IOException;

/**
 * A store's error answer to a plain HTTP request of ours (a presigned {@code PUT}), with what
 * {@link StoreRetry} needs to decide: the status, the S3 error code and message of its XML body,
 * and its {@code Retry-After}. The SDK's calls give the same in an {@code S3Exception}.
 */
final class StoreAnswer extends IOException {
    final int status;
    final String code;
    final String retryAfter;

    StoreAnswer(int status, String code, String message, String retryAfter) {
        super("answered " + status + (code == null ? "" : " " + code) + (message == null ? "" : ": " + message));
        this.status = status;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    /** From an answer's status, headers and (error) body: the S3 {@code <Code>} and {@code <Message>} when it has them. */
    static StoreAnswer of(int status, String retryAfter, String body) {
        return new StoreAnswer(status, element(body, "Code"), element(body, "Message"), retryAfter);
    }

    private static String element(String xml, String name) {
        if (xml == null) {
            return null;
        }
        int start = xml.indexOf("<" + name + ">");
        int end = xml.indexOf("</" + name + ">");
        return start < 0 || end < start ? null : xml.substring(start + name.length() + 2, end).strip();
    }
}
