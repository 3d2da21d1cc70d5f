package dev.mediaorchestrator.support;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The JDK's {@link HttpClient} that checks every exchange with a {@link RunningApp} against
 * {@code openapi.yaml} ({@link OpenApiCheck#check}): a test that keeps its own client (for
 * redirects, HTTP/2, streams) wraps it once, where it builds it, and each of its requests to the
 * service is checked without more code. Requests to anything else (the bucket, a stand-in) pass
 * unchecked. The body of a request is checked when its length is known and small (not a stream);
 * the body of an answer when the test reads it whole ({@code ofString}, {@code ofByteArray}).
 */
public final class ValidatingHttpClient extends HttpClient {
    private final HttpClient delegate;

    private ValidatingHttpClient(HttpClient delegate) {
        this.delegate = delegate;
    }

    /** {@code client}, checked. */
    public static HttpClient wrap(HttpClient client) {
        return client instanceof ValidatingHttpClient ? client : new ValidatingHttpClient(client);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException, InterruptedException {
        byte[] body = requestBody(request);
        HttpResponse<T> response = delegate.send(request, handler);
        check(response, body, OpenApiCheck.allowedOutside());
        return response;
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        byte[] body = requestBody(request);
        String outside = OpenApiCheck.allowedOutside();
        return delegate.sendAsync(request, handler).thenApply(r -> check(r, body, outside));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> push) {
        byte[] body = requestBody(request);
        String outside = OpenApiCheck.allowedOutside();
        return delegate.sendAsync(request, handler, push).thenApply(r -> check(r, body, outside));
    }

    /** Checks the answer and, with redirects followed, each answer before it (their bodies are not kept). */
    private static <T> HttpResponse<T> check(HttpResponse<T> response, byte[] requestBody, String outside) {
        for (HttpResponse<?> r = response; r != null; r = r.previousResponse().orElse(null)) {
            HttpRequest q = r.request();
            if (RunningApp.serves(q.uri())) {
                RunningApp.check(q.uri(), new WireExchange(q.method(), WireExchange.target(q.uri()), q.headers().map(),
                        r.previousResponse().isEmpty() ? requestBody : null,
                        r.statusCode(), r.headers().map(), r == response ? WireExchange.bodyOf(r.body()) : null), outside != null);
            }
        }
        return response;
    }

    /** The bytes a request will send, when its publisher says how many and they are few; null otherwise. */
    static byte[] requestBody(HttpRequest request) {
        Optional<HttpRequest.BodyPublisher> publisher = request.bodyPublisher();
        if (publisher.isEmpty() || publisher.get().contentLength() == 0) {
            return new byte[0];
        }
        long length = publisher.get().contentLength();
        if (length < 0 || length > WireExchange.MAX_CHECKED_BODY) {
            return null;
        }
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        publisher.get().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer item) {
                byte[] b = new byte[item.remaining()];
                item.get(b);
                out.writeBytes(b);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(out.toByteArray());
            }
        });
        try {
            return done.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }
}
