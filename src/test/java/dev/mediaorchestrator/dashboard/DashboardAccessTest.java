package dev.mediaorchestrator.dashboard;

import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 21: who may use the dashboard, and what a change needs besides. */
class DashboardAccessTest {
    private static final String TOKEN = "a-dashboard-token-of-some-length";
    private final CamelContext camel = new DefaultCamelContext();

    private Exchange request(Map<String, String> headers) {
        Exchange e = new DefaultExchange(camel);
        headers.forEach(e.getMessage()::setHeader);
        return e;
    }

    @Test
    void onLoopbackItIsOpen() {
        DashboardAccess open = new DashboardAccess(true, null);
        assertTrue(open.allowed(null, null));
        open.check(request(Map.of()));
    }

    @Test
    void offLoopbackItNeedsTheTokenAsBearerOrTheLoginCookie() {
        DashboardAccess a = new DashboardAccess(false, TOKEN);
        assertFalse(a.allowed(null, null));
        assertFalse(a.allowed("Bearer wrong", null));
        assertFalse(a.allowed("Basic " + TOKEN, null));
        assertTrue(a.allowed("Bearer " + TOKEN, null));
        assertTrue(a.allowed("bearer " + TOKEN, null));
        String cookie = a.loginCookie(false);
        assertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("Secure"), cookie);
        assertTrue(a.loginCookie(true).endsWith("; Secure"));
        assertFalse(cookie.contains(TOKEN), "the cookie is not the token");
        String value = cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
        assertTrue(a.allowed(null, "other=1; " + DashboardAccess.COOKIE + "=" + value));
        assertFalse(a.allowed(null, DashboardAccess.COOKIE + "=" + value + "x"));
        assertFalse(new DashboardAccess(false, TOKEN + "-rotated").allowed(null, DashboardAccess.COOKIE + "=" + value),
                "a new token ends the old sessions");
        assertEquals(401, assertThrows(HttpError.class, () -> a.check(request(Map.of()))).getStatus());
    }

    @Test
    void offLoopbackWithoutATokenItIsOff() {
        DashboardAccess off = new DashboardAccess(false, null);
        assertFalse(off.allowed("Bearer ", null));
        assertFalse(off.tokenMatches(""));
        HttpError e = assertThrows(HttpError.class, () -> off.check(request(Map.of())));
        assertEquals(401, e.getStatus());
        assertTrue(e.getError().contains("DASHBOARD_TOKEN"));
    }

    @Test
    void aChangeNeedsTheCsrfTokenAndThisOrigin() {
        DashboardAccess a = new DashboardAccess(false, TOKEN);
        String bearer = "Bearer " + TOKEN;
        assertEquals(403, assertThrows(HttpError.class, () -> a.checkChange(request(Map.of("Authorization", bearer)))).getStatus());
        assertEquals(403, assertThrows(HttpError.class, () -> a.checkChange(request(Map.of("Authorization", bearer,
                DashboardAccess.CSRF_HEADER, "guess")))).getStatus());
        a.checkChange(request(Map.of("Authorization", bearer, DashboardAccess.CSRF_HEADER, a.csrfToken())));
        a.checkChange(request(Map.of("Authorization", bearer, DashboardAccess.CSRF_HEADER, a.csrfToken(),
                "Origin", "http://media.example:8787", "Host", "media.example:8787")));
        assertEquals(403, assertThrows(HttpError.class, () -> a.checkChange(request(Map.of("Authorization", bearer,
                DashboardAccess.CSRF_HEADER, a.csrfToken(), "Origin", "https://evil.example", "Host", "media.example:8787")))).getStatus());
        assertEquals(401, assertThrows(HttpError.class, () -> a.checkChange(request(Map.of(
                DashboardAccess.CSRF_HEADER, a.csrfToken())))).getStatus(), "the CSRF token is no login");
        // on loopback too: another site's page in the same browser cannot cancel a job
        DashboardAccess open = new DashboardAccess(true, null);
        assertEquals(403, assertThrows(HttpError.class, () -> open.checkChange(request(Map.of()))).getStatus());
        open.checkChange(request(Map.of(DashboardAccess.CSRF_HEADER, open.csrfToken())));
    }

    @Test
    void originsCompareByHostAndPort() {
        assertTrue(DashboardAccess.sameHost("https://a.example", "a.example"));
        assertTrue(DashboardAccess.sameHost("https://a.example", "a.example:443"));
        assertTrue(DashboardAccess.sameHost("http://127.0.0.1:8787", "127.0.0.1:8787"));
        assertFalse(DashboardAccess.sameHost("http://127.0.0.1:8788", "127.0.0.1:8787"));
        assertFalse(DashboardAccess.sameHost("null", "a.example"));
        assertFalse(DashboardAccess.sameHost("https://a.example", null));
    }
}
