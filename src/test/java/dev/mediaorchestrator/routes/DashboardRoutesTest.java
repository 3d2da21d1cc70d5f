package dev.mediaorchestrator.routes;

import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code orchestrator-dashboard.camel.yaml} alone: every route checks access first (and the CSRF
 * token for a change) and stops there when refused; the page's files and the login are answered by
 * the dashboard bean itself.
 */
class DashboardRoutesTest extends RouteTestSupport {
    private static final List<String> ROUTES = List.of("dashboard-home", "dashboard-index", "dashboard-asset", "dashboard-login",
            "dashboard-logout", "dashboard-session", "dashboard-cancel", "dashboard-submit", "dashboard-upload");

    /** The dashboard's beans (access, api, lifecycle) as one double recording its calls; {@code deny} refuses access. */
    public static class Dashboard {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean deny;

        public void check(Exchange e) {
            calls.add("check");
            if (deny) {
                throw new HttpError(401, "dashboard login required");
            }
        }

        public void checkChange(Exchange e) {
            calls.add("checkChange");
            if (deny) {
                throw new HttpError(403, "missing or wrong X-CSRF-Token");
            }
        }

        public void home(Exchange e) {
            calls.add("home");
        }

        public void asset(Exchange e) {
            calls.add("asset");
        }

        public void login(Exchange e) {
            calls.add("login");
        }

        public String logout(Exchange e) {
            calls.add("logout");
            return "{\"ok\":true}";
        }

        public String session() {
            calls.add("session");
            return "{}";
        }

        public String cancel(String jobId) {
            calls.add("cancel " + jobId);
            return "{}";
        }

        public String submit(Exchange e) {
            calls.add("submit");
            e.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 202);
            return "{\"jobId\":\"job_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"status\":\"queued\"}";
        }

        public String upload(Exchange e) {
            calls.add("upload");
            return "{}";
        }
    }

    private final Dashboard dashboard = new Dashboard();

    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml", "orchestrator-dashboard.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of("dashboardAccess", dashboard, "dashboardApi", dashboard, "jobEndings", dashboard);
    }

    private Exchange call(String routeId, Map<String, Object> headers) throws Exception {
        return template.request("direct:" + routeId, e -> headers.forEach(e.getMessage()::setHeader));
    }

    @Test
    void everyChangeChecksAccessAndTheCsrfTokenFirst() throws Exception {
        fromDirect(ROUTES.toArray(String[]::new));
        context.start();
        Exchange cancel = call("dashboard-cancel", Map.of("jobId", "job_bbbbbbbbbbbbbbbbbbbbbbbbbb"));
        assertEquals(200, cancel.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        Exchange submit = call("dashboard-submit", Map.of());
        assertEquals(202, submit.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class), "the job API's own answer is passed on");
        call("dashboard-upload", Map.of());
        call("dashboard-logout", Map.of());
        call("dashboard-session", Map.of());
        assertEquals(List.of("checkChange", "cancel job_bbbbbbbbbbbbbbbbbbbbbbbbbb", "checkChange", "submit", "checkChange", "upload",
                "checkChange", "logout", "check", "session"), dashboard.calls);
    }

    @Test
    void aRefusedRequestStopsBeforeItsActionWithAJsonError() throws Exception {
        fromDirect(ROUTES.toArray(String[]::new));
        context.start();
        dashboard.deny = true;
        for (String route : List.of("dashboard-cancel", "dashboard-submit", "dashboard-upload", "dashboard-logout", "dashboard-session")) {
            dashboard.calls.clear();
            Exchange e = call(route, Map.of("jobId", "job_bbbbbbbbbbbbbbbbbbbbbbbbbb"));
            int status = e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
            assertEquals(route.equals("dashboard-session") ? 401 : 403, status, route);
            assertEquals(1, dashboard.calls.size(), route + " went no further than its check: " + dashboard.calls);
            assertEquals("application/json", e.getMessage().getHeader("Content-Type"));
        }
    }

    @Test
    void thePageAndTheLoginAreTheBeansOwnAnswers() throws Exception {
        fromDirect(ROUTES.toArray(String[]::new));
        context.start();
        for (String route : List.of("dashboard-home", "dashboard-index", "dashboard-asset", "dashboard-login")) {
            call(route, Map.of());
        }
        assertEquals(List.of("home", "asset", "asset", "login"), dashboard.calls);
    }
}
