package dev.mediaorchestrator.common;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Streaming between Vert.x and blocking code on Camel's worker threads, with back-pressure both
 * ways, so that no request or response body is ever held whole in memory.
 */
public final class VertxStreams {
    private static final int CHUNK = 64 * 1024;

    private VertxStreams() {
    }

    /**
     * A request body as an InputStream, with back-pressure: at most {@value RequestInputStream#AHEAD}
     * buffers (HTTP/1.1 chunks of up to 8 KiB: about 1 MiB) are asked of Vert.x ahead of the reader.
     * A client that sent {@code Expect: 100-continue} is told to go on first (curl sends it for
     * bodies over 1 MiB and otherwise waits a second before it sends the body).
     */
    public static InputStream body(HttpServerRequest request) {
        if ("100-continue".equalsIgnoreCase(request.getHeader("Expect")) && !request.response().headWritten()) {
            request.response().writeContinue();
        }
        return new RequestInputStream(request);
    }

    /** Chunks of a response written and not yet on the wire: the memory one response may hold. */
    static final int WINDOW = 4;
    /** A reader that takes nothing for this long is disconnected. */
    static final long STALL_MS = 30_000;

    /**
     * Writes a complete response from a worker thread: status, headers, exactly {@code length}
     * bytes of {@code in} (none for HEAD), then ends it. Back-pressure is the completion of each
     * write (the chunk is on the wire): at most {@value #WINDOW} chunks of {@value #CHUNK} bytes are
     * in flight per response, whatever the reader does. ({@code writeQueueFull()} cannot be used
     * from a worker thread: the queue is counted on the event loop, and buffers piled up behind it.)
     * A reader that takes nothing for {@value #STALL_MS} ms is disconnected.
     */
    public static void respond(HttpServerResponse response, int status, Map<String, String> headers,
                               InputStream in, long length, boolean head) throws IOException {
        response.setStatusCode(status);
        headers.forEach(response::putHeader);
        response.putHeader("Content-Length", String.valueOf(length));
        if (head || in == null || length == 0) {
            response.end();
            return;
        }
        ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        byte[] buf = new byte[CHUNK];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                break;
            }
            if (inFlight.size() >= WINDOW) {
                awaitWritten(response, inFlight.removeFirst());
            }
            if (response.closed()) {
                throw new IOException("client went away");
            }
            inFlight.addLast(response.write(Buffer.buffer(n).appendBytes(buf, 0, n)).toCompletionStage().toCompletableFuture());
            left -= n;
        }
        if (left > 0) {
            response.reset(); // the source ended early: do not pretend the body is complete
            throw new IOException("source ended " + left + " bytes early");
        }
        response.end();
    }

    /**
     * Writes a complete response whose body is {@code length} bytes of {@code file} from
     * {@code offset}, with Vert.x's {@code sendFile}: on HTTP/1.1 without TLS the kernel copies the
     * file to the socket (sendfile(2), Netty's FileRegion), so no byte passes through the heap and no
     * thread waits for the reader. Returns at once; the future ends when the body is on the wire (or
     * failed: the client went away, or was disconnected by the idle timeout).
     */
    public static io.vertx.core.Future<Void> sendFile(HttpServerResponse response, int status, Map<String, String> headers,
                                                      Path file, long offset, long length) {
        response.setStatusCode(status);
        headers.forEach(response::putHeader);
        response.putHeader("Content-Length", String.valueOf(length));
        return response.sendFile(file.toString(), offset, length);
    }

    private static void awaitWritten(HttpServerResponse response, CompletableFuture<Void> write) throws IOException {
        try {
            write.get(STALL_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            response.reset(); // closes the connection: the pending buffers go with it
            throw new IOException("client stopped reading");
        } catch (ExecutionException e) {
            throw new IOException("client went away", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.reset();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Flow control by demand: the request is paused, {@link #AHEAD} buffers are fetched, and each
     * buffer the reader takes fetches one more. Vert.x counts the demand itself, so there is no
     * check-then-act between the event loop and the reader (the former pause/resume on a byte
     * count could lose the resume, and the upload then stalled until the 120 s timeout).
     */
    private static final class RequestInputStream extends InputStream {
        private static final Object END = new Object();
        static final int AHEAD = 128;

        private final HttpServerRequest request;
        private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private Buffer current;
        private int pos;
        private boolean ended;

        RequestInputStream(HttpServerRequest request) {
            this.request = request;
            request.pause();
            request.handler(queue::add);
            request.endHandler(v -> queue.add(END));
            request.exceptionHandler(queue::add);
            request.fetch(AHEAD);
        }

        private void fetchOne() {
            try {
                request.fetch(1);
            } catch (IllegalStateException e) {
                // HTTP/2 refuses a fetch once the whole body has arrived ("Request has already
                // been read"): there is nothing left to ask for
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (current == null || pos >= current.length()) {
                if (ended) {
                    return -1;
                }
                Object next;
                try {
                    next = queue.poll(120, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
                if (next == null) {
                    throw new IOException("request body stalled");
                }
                if (next == END) {
                    ended = true;
                    return -1;
                }
                if (next instanceof Throwable t) {
                    throw new IOException("request body failed: " + t.getMessage(), t);
                }
                current = (Buffer) next;
                pos = 0;
                fetchOne();
            }
            int n = Math.min(len, current.length() - pos);
            current.getBytes(pos, pos + n, b, off);
            pos += n;
            return n;
        }
    }
}
