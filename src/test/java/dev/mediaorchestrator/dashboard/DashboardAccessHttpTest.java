package dev.mediaorchestrator.dashboard;

import dev.mediaorchestrator.support.IntegrationTest;
import dev.mediaorchestrator.support.RunningApp;
import dev.mediaorchestrator.support.ValidatingHttpClient;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.net.URLEncoder;
import java.net.http.HttpHeaders;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * Issue 21, access: bound off loopback (0.0.0.0), every dashboard and listing request without the
 * token is 401 and with it 200 (bearer, or the login form's cookie); changes need the page's CSRF
 * token; without DASHBOARD_TOKEN the dashboard is off.
 */
@IntegrationTest
class DashboardAccessHttpTest {
    private static final String TOKEN = "dashboard-token-" + Long.toHexString(System.nanoTime());
    private final HttpClient http = ValidatingHttpClient.wrap(HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build());

    /** A request of the dashboard: method, path, body (null: none). */
    private record Call(String method, String path, String body) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static List<Call> dashboardCalls(String jobId) {
        List<Call> calls = new ArrayList<>();
        calls.add(new Call("GET", "/jobs", null));
        calls.add(new Call("GET", "/jobs?status=queued&limit=5", null));
        calls.add(new Call("GET", "/jobs/events", null));
        calls.add(new Call("GET", "/ui/", null));
        calls.add(new Call("GET", "/ui/index.html", null));
        calls.add(new Call("GET", "/ui/app.js", null));
        calls.add(new Call("GET", "/ui/api/session", null));
        calls.add(new Call("POST", "/ui/api/jobs/" + jobId + "/cancel", ""));
        calls.add(new Call("PUT", "/ui/api/media/dash1/subtitles", "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhi\n"));
        calls.add(new Call("POST", "/ui/api/jobs", "{\"mediaId\":\"dash1\"}"));
        calls.add(new Call("POST", "/ui/logout", ""));
        return calls;
    }

    private HttpResponse<String> send(RunningApp app, Call c, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(app.base.resolve(c.path())).timeout(Duration.ofSeconds(30))
                .method(c.method(), c.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(c.body()));
        headers.forEach(b::header);
        if (c.path().equals("/jobs/events")) { // a stream: its status and first line are enough
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                byte[] first = in.readNBytes(r.statusCode() == 200 ? 5 : 4096);
                return new Fixed(r, new String(first, StandardCharsets.UTF_8));
            }
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void offLoopbackEveryDashboardRequestNeedsTheToken() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of("HOST", "0.0.0.0", "DASHBOARD_TOKEN", TOKEN))) {
            HttpResponse<String> created = app.postSigned("/jobs", Map.of("mediaId", "dash0", "engine", "burner-ffmpeg",
                    "ts", System.currentTimeMillis()));
            // (no media in the library: the mirror answers 502 and no job is made; a made-up id does for cancel's 404)
            String jobId = created.statusCode() == 202 ? (String) RunningApp.json(created).get("jobId") : "job_aaaaaaaaaaaaaaaaaaaaaaaaaa";

            for (Call c : dashboardCalls(jobId)) {
                HttpResponse<String> r = send(app, c, Map.of());
                assertEquals(401, r.statusCode(), c + " without the token: " + r.body());
                r = send(app, c, Map.of("Authorization", "Bearer not-" + TOKEN));
                assertEquals(401, r.statusCode(), c + " with a wrong token");
            }
            String csrf = (String) RunningApp.json(send(app, new Call("GET", "/ui/api/session", null),
                    Map.of("Authorization", "Bearer " + TOKEN))).get("csrfToken");
            Map<String, String> bearer = Map.of("Authorization", "Bearer " + TOKEN, DashboardAccess.CSRF_HEADER, csrf);
            for (Call c : dashboardCalls(jobId)) {
                HttpResponse<String> r = send(app, c, bearer);
                int expected = c.path().endsWith("/cancel") && created.statusCode() != 202 ? 404
                        : c.path().equals("/ui/api/jobs") ? 400 // past the access checks: the body is the job request's
                        : 200;
                assertEquals(expected, r.statusCode(), c + " with the token: " + r.body());
            }
            // the login page and its style are for everyone; the contract's endpoints keep their own rules
            assertEquals(200, send(app, new Call("GET", "/ui/login.html", null), Map.of()).statusCode());
            assertEquals(200, send(app, new Call("GET", "/ui/style.css", null), Map.of()).statusCode());
            HttpResponse<String> home = send(app, new Call("GET", "/", null), Map.of());
            assertEquals(302, home.statusCode());
            assertEquals("/ui/", home.headers().firstValue("location").orElse(""));
            assertEquals(404, send(app, new Call("GET", "/x/%2e%2e", null), Map.of()).statusCode(), "a path that only normalises to /");
            assertEquals(404, send(app, new Call("GET", "/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa", null), Map.of()).statusCode());
            assertEquals(400, send(app, new Call("GET", "/jobs/", null), Map.of()).statusCode());
        }
    }

    @Test
    void theLoginFormSetsAStrictHttpOnlyCookieAndChangesStillNeedTheCsrfToken() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of("HOST", "0.0.0.0", "DASHBOARD_TOKEN", TOKEN))) {
            Call login = new Call("POST", "/ui/login", "token=wrong");
            HttpResponse<String> failed = send(app, login, Map.of("Content-Type", "application/x-www-form-urlencoded"));
            assertEquals(303, failed.statusCode());
            assertEquals("/ui/login.html?failed=1", failed.headers().firstValue("location").orElse(""));
            assertTrue(failed.headers().firstValue("set-cookie").isEmpty());

            HttpResponse<String> ok = send(app, new Call("POST", "/ui/login", "token=" + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8)),
                    Map.of("Content-Type", "application/x-www-form-urlencoded"));
            assertEquals(303, ok.statusCode());
            String setCookie = ok.headers().firstValue("set-cookie").orElseThrow();
            assertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), setCookie);
            assertFalse(setCookie.contains(TOKEN), "the cookie is not the token");
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));

            assertEquals(200, send(app, new Call("GET", "/jobs", null), Map.of("Cookie", cookie)).statusCode());
            HttpResponse<String> page = send(app, new Call("GET", "/ui/", null), Map.of("Cookie", cookie));
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("id=\"jobs\""), "the dashboard, not the login form");
            assertTrue(page.headers().firstValue("content-security-policy").orElse("").contains("default-src 'none'"));

            Call upload = new Call("PUT", "/ui/api/media/dash2/subtitles", "WEBVTT\n");
            assertEquals(403, send(app, upload, Map.of("Cookie", cookie)).statusCode(), "no CSRF token");
            String csrf = (String) RunningApp.json(send(app, new Call("GET", "/ui/api/session", null), Map.of("Cookie", cookie))).get("csrfToken");
            assertEquals(403, send(app, upload, Map.of("Cookie", cookie, DashboardAccess.CSRF_HEADER, csrf,
                    "Origin", "https://elsewhere.example")).statusCode(), "another site's page");
            assertEquals(200, send(app, upload, Map.of("Cookie", cookie, DashboardAccess.CSRF_HEADER, csrf)).statusCode());

            HttpResponse<String> logout = send(app, new Call("POST", "/ui/logout", ""), Map.of("Cookie", cookie, DashboardAccess.CSRF_HEADER, csrf));
            assertEquals(200, logout.statusCode());
            assertTrue(logout.headers().firstValue("set-cookie").orElse("").contains("Max-Age=0"));
        }
    }

    @Test
    void offLoopbackWithoutATokenTheDashboardIsOff() throws Exception {
        try (RunningApp app = RunningApp.start(Map.of("HOST", "0.0.0.0"))) {
            HttpResponse<String> r = send(app, new Call("GET", "/jobs", null), Map.of("Authorization", "Bearer anything-at-all-here"));
            assertEquals(401, r.statusCode());
            assertTrue(r.body().contains("DASHBOARD_TOKEN"), r.body());
            assertEquals(401, send(app, new Call("GET", "/jobs/events", null), Map.of()).statusCode());
        }
    }

    /** A streamed response read in part, as a string response. */
    private record Fixed(HttpResponse<InputStream> r, String body) implements HttpResponse<String> {
        public int statusCode() { return r.statusCode(); }
        public HttpRequest request() { return r.request(); }
        public Optional<HttpResponse<String>> previousResponse() { return Optional.empty(); }
        public HttpHeaders headers() { return r.headers(); }
        public Optional<SSLSession> sslSession() { return r.sslSession(); }
        public URI uri() { return r.uri(); }
        public HttpClient.Version version() { return r.version(); }
    }
}
