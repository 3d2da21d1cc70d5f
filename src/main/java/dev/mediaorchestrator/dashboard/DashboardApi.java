package dev.mediaorchestrator.dashboard;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.HttpError;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.common.SignedHttp;
import dev.mediaorchestrator.common.VertxStreams;
import dev.mediaorchestrator.orchestrator.JobRequest;
import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The dashboard's pages and the few things it does besides reading: its static files (from the
 * jar, {@code ui/}), the login form, the CSRF token, cancel, and in local mode a submit (a burn of
 * files uploaded into the media library, or a download). The page itself reads the public job API
 * ({@code GET /jobs}, {@code /jobs/{id}}, {@code /jobs/{id}/deliveries}, {@code /jobs/events},
 * {@code /artifacts/{id}}).
 */
public final class DashboardApi {
    /** The files of {@code src/main/resources/ui} the dashboard serves, and their types. */
    private static final Map<String, String> ASSETS = Map.of(
            "index.html", "text/html; charset=utf-8",
            "login.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "style.css", "text/css; charset=utf-8");
    /** What the login form needs: served to everyone. */
    private static final Set<String> LOGIN_PAGE = Set.of("login.html", "style.css");
    /** No inline script or style, nothing from elsewhere: the page works offline and cannot be made to run injected code. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    /** Largest media file the page may upload into the library (local mode). */
    static final long MAX_UPLOAD_BYTES = 4L * 1024 * 1024 * 1024;

    private final Config config;
    private final DashboardAccess access;
    private final SignedHttp http;

    public DashboardApi(Config config, DashboardAccess access, SignedHttp http) {
        this.config = config;
        this.access = access;
        this.http = http;
    }

    /** {@code GET /}: to the dashboard. */
    public void home(Exchange exchange) {
        HttpServerRequest request = (HttpServerRequest) exchange.getMessage().getBody();
        String raw = request.uri();
        if (!(raw.equals("/") || raw.startsWith("/?"))) {
            throw new HttpError(404, "not found"); // a path Vert.x normalised to / (/jobs/.., /x/%2e%2e): not the dashboard
        }
        redirect(request, 302, "/ui/", null);
    }

    /** An empty answer sending the browser to {@code location}, with a cookie when one is given. */
    private static void redirect(HttpServerRequest request, int status, String location, String setCookie) {
        io.vertx.core.http.HttpServerResponse response = request.response().setStatusCode(status).putHeader("Location", location);
        if (setCookie != null) {
            response.putHeader("Set-Cookie", setCookie);
        }
        response.putHeader("Content-Length", "0").end();
    }

    /** {@code GET /ui/} and {@code GET /ui/{file}}: the page (its login form, 401, without access). */
    public void asset(Exchange exchange) throws IOException {
        HttpServerRequest request = (HttpServerRequest) exchange.getMessage().getBody();
        String file = exchange.getMessage().getHeader("file", String.class);
        if (file == null || file.isEmpty()) {
            file = "index.html";
        }
        String type = ASSETS.get(file);
        if (type == null) {
            throw new HttpError(404, "not found");
        }
        int status = 200;
        boolean allowed = access.allowed(request.getHeader("Authorization"), request.getHeader("Cookie"));
        if (file.equals("index.html") && !allowed) {
            file = "login.html"; // the 401 is the login form
            status = 401;
        } else if (!allowed && !LOGIN_PAGE.contains(file)) {
            throw access.denied();
        } else if (file.equals("login.html") && !access.isOpen() && access.allowed(null, request.getHeader("Cookie"))) {
            redirect(request, 303, "/ui/", null);
            return;
        }
        byte[] body;
        try (InputStream in = DashboardApi.class.getResourceAsStream("/ui/" + file)) {
            if (in == null) {
                throw new HttpError(404, "not found");
            }
            body = in.readAllBytes(); // a few KiB of the jar's own text
        }
        VertxStreams.respond(request.response(), status, securityHeaders(type), new ByteArrayInputStream(body), body.length,
                "HEAD".equals(request.method().name()));
    }

    static Map<String, String> securityHeaders(String type) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", type);
        h.put("Content-Security-Policy", CSP);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("Referrer-Policy", "no-referrer");
        h.put("X-Frame-Options", "DENY");
        h.put("Cache-Control", "no-cache");
        return h;
    }

    /** {@code POST /ui/login} (form: {@code token}): the session cookie and 303 to the page; a wrong token 303s back to the form. */
    public void login(Exchange exchange) throws IOException {
        HttpServerRequest request = (HttpServerRequest) exchange.getMessage().getBody();
        String origin = request.getHeader("Origin");
        if (origin != null && !DashboardAccess.sameHost(origin, request.getHeader("Host"))) {
            throw new HttpError(403, "cross-origin request refused");
        }
        byte[] form;
        try (InputStream in = VertxStreams.body(request)) {
            form = in.readNBytes(4097);
        }
        if (form.length > 4096) {
            throw new HttpError(413, "body too large");
        }
        String token = null;
        for (String pair : new String(form, StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals("token")) {
                token = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        boolean secure = "https".equalsIgnoreCase(request.getHeader("X-Forwarded-Proto")) || request.isSSL();
        if (access.isOpen()) {
            redirect(request, 303, "/ui/", null);
        } else if (access.tokenMatches(token)) {
            redirect(request, 303, "/ui/", access.loginCookie(secure));
        } else {
            redirect(request, 303, "/ui/login.html?failed=1", null);
        }
    }

    /** {@code POST /ui/logout}: the cookie is cleared. */
    public String logout(Exchange exchange) {
        exchange.getMessage().setHeader("Set-Cookie", DashboardAccess.logoutCookie());
        return Json.write(Map.of("ok", true));
    }

    /** {@code GET /ui/api/session}: what the page needs to act (the CSRF token) and may offer. */
    public String session() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("csrfToken", access.csrfToken());
        m.put("open", access.isOpen());
        m.put("submit", config.localApp);
        return Json.write(m);
    }

    /**
     * {@code PUT /ui/api/media/{mediaId}/{what}} (local mode): the body becomes
     * {@code MEDIA_DIR/{mediaId}.mp4} ({@code source}) or {@code .vtt} ({@code subtitles}), streamed
     * to a temporary file and moved into place when complete.
     */
    public String upload(Exchange exchange) throws IOException {
        requireLocal();
        HttpServerRequest request = (HttpServerRequest) exchange.getMessage().getBody();
        String mediaId = exchange.getMessage().getHeader("mediaId", String.class);
        String what = exchange.getMessage().getHeader("what", String.class);
        if (mediaId == null || !JobRequest.MEDIA_ID.matcher(mediaId).matches()) {
            throw HttpError.badRequest("mediaId must be 1-128 letters, digits, _ or - (starting with a letter or digit)");
        }
        String suffix = "source".equals(what) ? ".mp4" : "subtitles".equals(what) ? ".vtt" : null;
        if (suffix == null) {
            throw new HttpError(404, "not found");
        }
        Files.createDirectories(config.mediaDir);
        Path target = config.mediaDir.resolve(mediaId + suffix);
        Path tmp = Files.createTempFile(config.mediaDir, "." + mediaId, ".upload");
        long total = 0;
        try (InputStream in = VertxStreams.body(request); OutputStream out = Files.newOutputStream(tmp)) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
                if (total > MAX_UPLOAD_BYTES) {
                    throw new HttpError(413, "media file over " + (MAX_UPLOAD_BYTES >> 30) + " GiB");
                }
                out.write(buf, 0, n);
            }
            out.close();
            if (total == 0) {
                throw HttpError.badRequest("the file is empty");
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        exchange.getMessage().setBody(null);
        return Json.write(Map.of("ok", true, "mediaId", mediaId, "what", what, "size", total));
    }

    /**
     * {@code POST /ui/api/jobs} (local mode): {@code {mediaId, engine, options}} sent, signed, to
     * this service's own {@code POST /jobs}; its answer is passed on (status and body).
     */
    public String submit(Exchange exchange) throws IOException, InterruptedException {
        requireLocal();
        Map<String, Object> body;
        try {
            byte[] raw = exchange.getMessage().getBody(byte[].class);
            body = Json.parseObject(raw == null ? new byte[0] : raw);
        } catch (RuntimeException e) {
            throw HttpError.badRequest("the body must be a JSON object");
        }
        if (body == null) {
            throw HttpError.badRequest("the body must be a JSON object");
        }
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("mediaId", body.get("mediaId"));
        job.put("engine", body.get("engine"));
        if (body.get("options") != null) {
            job.put("options", body.get("options"));
        }
        job.put("ts", System.currentTimeMillis());
        job.put("nonce", UUID.randomUUID().toString());
        SignedHttp.Response r = http.post(URI.create(config.ownBaseUrl + "/jobs"), job, Duration.ofMinutes(2));
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, r.status());
        if (r.retryAfter() != null) {
            exchange.getMessage().setHeader("Retry-After", r.retryAfter()); // a 503 (the store is down) says when to try again
        }
        return r.body();
    }

    private void requireLocal() {
        if (!config.localApp) {
            throw new HttpError(404, "not found: submitting from the dashboard is for local mode (no NEXT_BASE_URL)");
        }
    }
}
