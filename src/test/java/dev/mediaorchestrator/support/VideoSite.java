package dev.mediaorchestrator.support;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * A video page for the downloader's yt-dlp, on loopback: {@code /watch.html} describes the clip in
 * schema.org JSON-LD (yt-dlp's generic extractor reads it), {@code /clip.mp4} serves it.
 */
public final class VideoSite implements AutoCloseable {
    public final StubHttpServer server = new StubHttpServer();

    public VideoSite(byte[] clip, String title) {
        String page = """
                <!doctype html><html><head><title>watch</title>
                <script type="application/ld+json">
                {"@context":"https://schema.org","@type":"VideoObject","name":"%s",
                 "author":{"@type":"Person","name":"Test"},"contentUrl":"%s","encodingFormat":"video/mp4"}
                </script></head><body></body></html>
                """.formatted(title, server.base() + "/clip.mp4");
        server.on("/watch.html", ex -> serve(ex, "text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8)));
        server.on("/clip.mp4", ex -> serve(ex, "video/mp4", clip));
    }

    /** The page's URL, the {@code url} option of a download job. */
    public String pageUrl() {
        return server.base() + "/watch.html";
    }

    public URI base() {
        return server.base();
    }

    private void serve(HttpExchange ex, String type, byte[] body) throws IOException {
        server.record(ex);
        ex.getResponseHeaders().set("content-type", type);
        if ("HEAD".equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().set("content-length", String.valueOf(body.length));
            ex.sendResponseHeaders(200, -1);
        } else {
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    @Override
    public void close() {
        server.close();
    }
}
