package dev.mediaorchestrator.common;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * A streaming {@code GET} for large bodies (mirrored inputs, a runner's inputs) on a plain blocking
 * connection: measured on this machine, reading 1 GiB this way took 0.2 s of CPU against about 2 s
 * through {@code HttpClient}'s {@code ofInputStream}. Redirects are followed (at
 * most {@value #MAX_REDIRECTS}, never from https to http), the read timeout is a stall limit per
 * read, and URLs never appear in messages (they may carry signatures).
 */
public final class StreamingGet implements AutoCloseable {
    static final int MAX_REDIRECTS = 5;

    private final HttpURLConnection connection;
    private final int status;

    private StreamingGet(HttpURLConnection connection, int status) {
        this.connection = connection;
        this.status = status;
    }

    /** Sends the request and reads the status line and headers. */
    public static StreamingGet open(URI uri, Duration connectTimeout, Duration readTimeout) throws IOException {
        URL url = uri.toURL();
        for (int hop = 0; ; hop++) {
            HttpURLConnection c = (HttpURLConnection) url.openConnection();
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout((int) connectTimeout.toMillis());
            c.setReadTimeout((int) readTimeout.toMillis());
            c.setRequestProperty("Accept-Encoding", "identity");
            int status;
            try {
                status = c.getResponseCode();
            } catch (IOException e) {
                c.disconnect();
                throw e;
            }
            String location = c.getHeaderField("Location");
            if (!isRedirect(status) || location == null) {
                return new StreamingGet(c, status);
            }
            discard(c);
            if (hop == MAX_REDIRECTS) {
                throw new IOException("more than " + MAX_REDIRECTS + " redirects");
            }
            URL next;
            try {
                next = url.toURI().resolve(location.trim()).toURL();
            } catch (Exception e) {
                throw new IOException("a redirect to an invalid location");
            }
            String scheme = next.getProtocol();
            if (!scheme.equals("http") && !scheme.equals("https")
                    || url.getProtocol().equals("https") && scheme.equals("http")) {
                throw new IOException("a redirect from " + url.getProtocol() + " to " + scheme + " is not followed");
            }
            url = next;
        }
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static void discard(HttpURLConnection c) {
        try {
            InputStream in = c.getResponseCode() < 400 ? c.getInputStream() : c.getErrorStream();
            if (in != null) {
                in.close();
            }
        } catch (IOException e) {
            c.disconnect();
        }
    }

    public int status() {
        return status;
    }

    /** The declared body length, when there is one. */
    public OptionalLong contentLength() {
        long n = connection.getContentLengthLong();
        return n < 0 ? OptionalLong.empty() : OptionalLong.of(n);
    }

    /** The body (of a 2xx answer; the error body otherwise, possibly empty). */
    public InputStream body() throws IOException {
        if (status < 400) {
            return connection.getInputStream();
        }
        InputStream err = connection.getErrorStream();
        return err == null ? InputStream.nullInputStream() : err;
    }

    /**
     * Closes the body. A connection whose body was read to its end goes back to the JDK's
     * keep-alive cache; one with much left unread is closed.
     */
    @Override
    public void close() {
        try {
            body().close();
        } catch (IOException e) {
            connection.disconnect();
        }
    }
}
