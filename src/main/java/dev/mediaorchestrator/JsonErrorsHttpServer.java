package dev.mediaorchestrator;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The platform-http server, with the same JSON error body ({@code {"error": "..."}}) on the answers
 * that Vert.x gives before any route runs:
 * <ul>
 * <li>from the router: no route for the path (404), method not allowed (405), body over the
 * limit (413), a body the body handler cannot take (400, 415, 417);</li>
 * <li>from the HTTP decoder, for requests that are not valid HTTP/1.x (a bad request line or
 * header, a conflicting or malformed {@code Content-Length}, a request line or headers over
 * Netty's limits): 400, 414 or 431, and the connection is closed, as Vert.x does by default.</li>
 * </ul>
 * Vert.x reads the decoder's handler and the idle timeout when the server is created and starts
 * listening, and the superclass creates and starts its server in one step from options of its own,
 * so this replaces that step ({@link #startServer()}, {@link #stopServer()}: the same server,
 * without TLS, which this service does not configure) with public API only: the router Camel's
 * routes are on is the registry's {@link VertxPlatformHttpRouter} (as the superclass mounts it at
 * {@code /}, the default path, it is served here as the root router).
 */
final class JsonErrorsHttpServer extends VertxPlatformHttpServer {
    private static final Logger LOG = LoggerFactory.getLogger(JsonErrorsHttpServer.class);
    private static final Map<Integer, String> ROUTER_ERRORS = Map.of(400, "bad request", 404, "not found",
            405, "method not allowed", 413, "body too large", 415, "unsupported media type", 417, "expectation failed",
            500, "internal error");

    private final VertxPlatformHttpServerConfiguration configuration;

    JsonErrorsHttpServer(VertxPlatformHttpServerConfiguration configuration) {
        super(configuration);
        this.configuration = configuration;
    }

    /**
     * Routes run on Vert.x worker threads. Slow work (fetching from the app, streaming artifacts)
     * is bounded below this (MIRROR_CONCURRENCY + ARTIFACT_CONCURRENCY, 40 by default), so status,
     * health, metrics and runner callbacks always find a thread.
     */
    static final int WORKER_THREADS = 96;
    /** Seconds a connection may stay without any traffic. */
    static final int IDLE_TIMEOUT_SECONDS = 120;

    /** The Vert.x this server made (none when one was found in the registry): closed with the server. */
    private volatile io.vertx.core.Vertx ownVertx;

    @Override
    protected io.vertx.core.Vertx createVertxInstance() {
        ownVertx = io.vertx.core.Vertx.vertx(new io.vertx.core.VertxOptions().setWorkerPoolSize(WORKER_THREADS));
        return ownVertx;
    }

    /** The superclass closes its Vert.x on the executor of its own {@code startServer}, which this one replaces. */
    @Override
    protected void stopVertx() {
        io.vertx.core.Vertx vertx = ownVertx;
        if (vertx != null) {
            await("Vert.x", vertx.close());
            ownVertx = null;
        }
    }

    private static void await(String what, io.vertx.core.Future<Void> closing) {
        try {
            closing.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing {}: {}", what, e.toString());
        }
    }

    private volatile HttpServer http;

    @Override
    protected void startServer() throws Exception {
        Router routes = VertxPlatformHttpRouter.lookup(getCamelContext(),
                VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getPort()));
        ROUTER_ERRORS.forEach((code, text) -> routes.errorHandler(code, ctx -> {
            if (!ctx.response().ended() && !ctx.response().headWritten()) {
                json(ctx.response(), code, text);
            }
        }));
        // a failure no route handled (a broken chunked body, a client that went away): no ERROR with a
        // stack trace from Vert.x's router, a JSON 400 when the answer can still be given
        routes.route().order(Integer.MAX_VALUE).failureHandler(JsonErrorsHttpServer::unhandled);
        // a connection on which nothing moves for this long is closed: a client that never finishes
        // its request (or never reads, below the 30 s stall limit of a response) holds nothing for ever
        HttpServer server = getVertx().createHttpServer(new HttpServerOptions()
                        .setIdleTimeout(IDLE_TIMEOUT_SECONDS).setIdleTimeoutUnit(TimeUnit.SECONDS))
                .invalidRequestHandler(JsonErrorsHttpServer::invalidRequest)
                .requestHandler(routes);
        server.listen(configuration.getBindPort(), configuration.getBindHost()).toCompletionStage().toCompletableFuture().get();
        http = server;
    }

    @Override
    protected void stopServer() {
        HttpServer server = http;
        if (server != null) {
            await("the HTTP server", server.close());
            http = null;
        }
    }

    @Override
    public HttpServer getServer() {
        return http;
    }

    @Override
    public int getPort() {
        HttpServer server = http;
        return server != null ? server.actualPort() : configuration.getBindPort();
    }

    /** Vert.x's default answer to a request the decoder refused (status, then close), with a JSON body. */
    static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        HttpServerResponse response = request.response();
        if (cause instanceof TooLongHttpLineException) {
            json(response, 414, "request line too long");
        } else if (cause instanceof TooLongHttpHeaderException) {
            json(response, 431, "request headers too large");
        } else {
            json(response, 400, "bad request");
        }
        response.close();
    }

    /**
     * The last failure handler: failures without an exception go on to the error handlers above. A
     * failure with an exception that no route handled is answered here, so that Vert.x's router
     * does not log it as an ERROR with a stack trace: with the status it was failed with (or 400
     * for a failure the client caused: a malformed body, a closed connection, a request Vert.x
     * refuses), as JSON, closing the connection (the rest of the request cannot be trusted). A
     * response already under way (our own streaming wrote its head) is left to its writer. Only a
     * failure that is neither the client's nor a status is a WARN and a 500.
     */
    static void unhandled(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (t == null || t instanceof HttpException) {
            ctx.next();
            return;
        }
        HttpServerResponse response = ctx.response();
        int status = ctx.statusCode() >= 400 ? ctx.statusCode() : clientSide(t) ? 400 : 500;
        if (status < 500 || response.headWritten() || response.closed() || response.ended()) {
            LOG.debug("{} {} from {} ended: {}", ctx.request().method(), ctx.request().path(), ctx.request().remoteAddress(), t.toString());
        } else {
            LOG.warn("{} {} failed outside the routes: {}", ctx.request().method(), ctx.request().path(), t.toString(), t);
        }
        if (response.headWritten() || response.closed() || response.ended()) {
            return;
        }
        if (ctx.request().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
            response.putHeader("Connection", "close"); // HTTP/2 forbids the header (RFC 9113 §8.2.2): there the stream ends alone
        }
        json(response, status, status == 400 && ctx.statusCode() < 400 ? "malformed request" : ROUTER_ERRORS.getOrDefault(status, "error"));
    }

    private static boolean clientSide(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof io.vertx.core.VertxException || c instanceof NumberFormatException
                    || c instanceof io.netty.handler.codec.DecoderException || c instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static void json(HttpServerResponse response, int status, String error) {
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end("{\"error\":\"" + error + "\"}");
    }
}
