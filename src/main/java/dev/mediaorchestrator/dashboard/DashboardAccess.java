package dev.mediaorchestrator.dashboard;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.Exchange;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;

/**
 * Who may use the dashboard ({@code /ui/…}, {@code GET /jobs}, {@code GET /jobs/events}).
 * <ul>
 * <li>Bound to loopback (local mode): everyone who can reach the port, i.e. this machine.</li>
 * <li>Bound elsewhere: a request with {@code Authorization: Bearer DASHBOARD_TOKEN}, or with the
 * session cookie the login form sets (HttpOnly, SameSite=Strict; its value is derived from the
 * token, never the token itself, and the same on every replica). Without {@code DASHBOARD_TOKEN}
 * the dashboard is off: every request is 401.</li>
 * </ul>
 * Requests that change something (cancel, submit, upload, log out) also carry
 * {@code X-CSRF-Token}, which only a page of this origin can read ({@code GET /ui/api/session};
 * no CORS), and, when the browser sends an {@code Origin}, it must be this service's own. Tokens
 * and cookies are compared in constant time.
 */
public final class DashboardAccess {
    public static final String COOKIE = "mo_dashboard";
    public static final String CSRF_HEADER = "X-CSRF-Token";

    private final boolean open;
    private final String token;
    private final byte[] key;

    public DashboardAccess(Config config) {
        this(config.isLoopbackBind(), config.dashboardToken);
    }

    DashboardAccess(boolean open, String token) {
        this.open = open;
        this.token = token;
        if (token != null) {
            this.key = token.getBytes(StandardCharsets.UTF_8);
        } else {
            this.key = new byte[32];
            new SecureRandom().nextBytes(key);
        }
    }

    /** Open on loopback: no login, no cookie. */
    public boolean isOpen() {
        return open;
    }

    /** Whether a request with these headers may see the dashboard. */
    public boolean allowed(String authorization, String cookieHeader) {
        if (open) {
            return true;
        }
        if (token == null) {
            return false;
        }
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                && same(authorization.substring(7).trim(), token)) {
            return true;
        }
        String cookie = cookie(cookieHeader, COOKIE);
        return cookie != null && same(cookie, sessionValue());
    }

    /** A Camel step: 401 (JSON) unless {@link #allowed}. */
    public void check(Exchange exchange) {
        if (!allowed(exchange.getMessage().getHeader("Authorization", String.class),
                exchange.getMessage().getHeader("Cookie", String.class))) {
            throw denied();
        }
    }

    /** The 401 of a request without access. */
    public HttpError denied() {
        return new HttpError(401, token == null
                ? "the dashboard is off on this address: set DASHBOARD_TOKEN (or bind to 127.0.0.1)"
                : "dashboard login required: log in at /ui/login or send Authorization: Bearer <DASHBOARD_TOKEN>");
    }

    /** A Camel step for requests that change something: {@link #check}, then the CSRF token and the origin (403). */
    public void checkChange(Exchange exchange) {
        check(exchange);
        String sent = exchange.getMessage().getHeader(CSRF_HEADER, String.class);
        if (sent == null || !same(sent, csrfToken())) {
            throw new HttpError(403, "missing or wrong " + CSRF_HEADER + " (the dashboard page sends it)");
        }
        String origin = exchange.getMessage().getHeader("Origin", String.class);
        String host = exchange.getMessage().getHeader("Host", String.class);
        if (origin != null && !sameHost(origin, host)) {
            throw new HttpError(403, "cross-origin request refused");
        }
    }

    /** True when the token matches (the login form). */
    public boolean tokenMatches(String candidate) {
        return token != null && candidate != null && same(candidate, token);
    }

    /** The session cookie's value: an HMAC of a fixed text under the token. */
    public String sessionValue() {
        return mac("media-orchestrator dashboard session v1");
    }

    /** The CSRF token the page sends with each change. */
    public String csrfToken() {
        return mac("media-orchestrator dashboard csrf v1");
    }

    /** {@code Set-Cookie} for a login ({@code secure}: the request came over HTTPS). */
    public String loginCookie(boolean secure) {
        return COOKIE + "=" + sessionValue() + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=604800" + (secure ? "; Secure" : "");
    }

    /** {@code Set-Cookie} that ends the session in this browser. */
    public static String logoutCookie() {
        return COOKIE + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
    }

    private String mac(String text) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(m.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    static String cookie(String header, String name) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).equals(name)) {
                return p.substring(eq + 1);
            }
        }
        return null;
    }

    static boolean sameHost(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI o = URI.create(origin);
            if (o.getHost() == null) {
                return false;
            }
            String oHost = o.getHost().toLowerCase(Locale.ROOT) + (o.getPort() < 0 ? "" : ":" + o.getPort());
            String h = host.toLowerCase(Locale.ROOT);
            String defaultPort = "https".equals(o.getScheme()) ? ":443" : ":80";
            return oHost.equals(h) || (oHost + defaultPort).equals(h) || oHost.equals(h + defaultPort);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
