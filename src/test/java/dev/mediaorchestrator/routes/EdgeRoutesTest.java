package dev.mediaorchestrator.routes;

import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The route files whose routes hand a request to one bean: orchestrator-transfers (artifacts,
 * inputs, upload), local-app (media, the app's callback), common-observability (metrics, health)
 * and common-openapi. Each route calls its bean with the request; a refusal from the bean is the
 * JSON error of common-http; the upload answers the bean's JSON with 200; the app's callback is
 * verified before it is taken.
 */
class EdgeRoutesTest extends RouteTestSupport {
    final List<String> calls = new CopyOnWriteArrayList<>();

    public final class Beans {
        public void artifact(Exchange e) {
            calls.add("artifact " + e.getMessage().getHeader("jobId"));
            if ("missing".equals(e.getMessage().getHeader("jobId"))) {
                throw new HttpError(404, "not found");
            }
        }

        public void input(Exchange e) {
            calls.add("input");
        }

        public void segment(Exchange e) {
            calls.add("segment " + e.getMessage().getHeader("jobId"));
        }

        public String upload(Exchange e) {
            calls.add("upload");
            return "{\"ok\":true}";
        }

        public void media(Exchange e) {
            calls.add("media");
        }

        public Object verify(Exchange e) {
            calls.add("verify");
            if ("bad".equals(e.getMessage().getBody(String.class))) {
                throw new HttpError(401, "invalid signature");
            }
            return Map.of("jobId", "job_x");
        }

        public String callback(Map<String, Object> body) {
            calls.add("callback " + body.get("jobId"));
            return "{\"ok\":true}";
        }

        public String scrape() {
            calls.add("scrape");
            return "# metrics\n";
        }

        public String liveness(Exchange e) {
            calls.add("liveness");
            return "{\"status\":\"UP\"}";
        }

        public String readiness(Exchange e) {
            calls.add("readiness");
            return "{\"status\":\"UP\"}";
        }

        public String json() {
            calls.add("openapi json");
            return "{\"openapi\":\"3.0.3\"}";
        }

        public String yaml() {
            calls.add("openapi yaml");
            return "openapi: 3.0.3\n";
        }
    }

    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml", "orchestrator-transfers.camel.yaml", "local-app.camel.yaml",
                "common-observability.camel.yaml", "common-openapi.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        Beans b = new Beans();
        Map<String, Object> m = new HashMap<>();
        for (String name : List.of("artifacts", "uploads", "localApp", "signedRequests", "metrics", "health", "openApi")) {
            m.put(name, b);
        }
        return m;
    }

    private void isolate() throws Exception {
        fromDirect("artifacts", "inputs", "segments", "upload", "local-media", "local-cf-callback", "metrics", "health-live", "health-ready",
                "openapi-json", "openapi-yaml");
        context.start();
    }

    private Exchange send(String route, Object body, Map<String, Object> headers) {
        return template.request("direct:" + route, x -> {
            x.getMessage().setBody(body);
            x.getMessage().setHeaders(new HashMap<>(headers));
        });
    }

    @Test
    void transfersCallTheirBeanAndRefusalsAreJson() throws Exception {
        isolate();
        send("artifacts", null, Map.of("jobId", "job_a"));
        send("inputs", null, Map.of());
        send("segments", null, Map.of("jobId", "job_s"));
        Exchange up = send("upload", null, Map.of());
        assertEquals(List.of("artifact job_a", "input", "segment job_s", "upload"), calls);
        assertEquals(200, up.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"ok\":true}", up.getMessage().getBody(String.class));
        Exchange missing = send("artifacts", null, Map.of("jobId", "missing"));
        assertEquals(404, missing.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"error\":\"not found\"}", missing.getMessage().getBody(String.class));
    }

    @Test
    void theLocalAppVerifiesItsCallbacks() throws Exception {
        isolate();
        send("local-media", null, Map.of());
        Exchange ok = send("local-cf-callback", "{}", Map.of());
        assertEquals(List.of("media", "verify", "callback job_x"), calls);
        assertEquals(200, ok.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        calls.clear();
        Exchange bad = send("local-cf-callback", "bad", Map.of());
        assertEquals(List.of("verify"), calls, "a callback that fails verification is not taken");
        assertEquals(401, bad.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
    }

    @Test
    void observabilityAndTheDocumentCallTheirBeans() throws Exception {
        isolate();
        Exchange metrics = send("metrics", null, Map.of("x-secret", "never echoed"));
        assertEquals("# metrics\n", metrics.getMessage().getBody(String.class));
        assertEquals("text/plain; version=0.0.4; charset=utf-8", metrics.getMessage().getHeader("Content-Type"));
        assertNull(metrics.getMessage().getHeader("x-secret"));
        send("health-live", null, Map.of());
        send("health-ready", null, Map.of());
        Exchange json = send("openapi-json", null, Map.of());
        Exchange yaml = send("openapi-yaml", null, Map.of());
        assertEquals(List.of("scrape", "liveness", "readiness", "openapi json", "openapi yaml"), calls);
        assertEquals("application/json", json.getMessage().getHeader("Content-Type"));
        assertEquals("application/yaml; charset=utf-8", yaml.getMessage().getHeader("Content-Type"));
    }
}
