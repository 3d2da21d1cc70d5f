package dev.mediaorchestrator.routes;

import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import java.util.List;
import java.util.Map;

/**
 * common-http.camel.yaml alone: each exception a route throws becomes its JSON answer, with
 * Retry-After when the error has one, and only the headers meant to be sent.
 */
class CommonHttpRouteTest extends RouteTestSupport {
    @Override
    protected List<String> routeFiles() {
        return List.of("common-http.camel.yaml");
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of();
    }

    @Override
    public boolean isUseAdviceWith() {
        return false; // nothing to replace: a route of the test's own throws
    }

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:throw").routeConfigurationId("http").process(e -> {
                    throw e.getMessage().getBody(RuntimeException.class);
                });
                // an HTTP route calling a direct: sub-route that throws (as jobs-create calls direct:dispatch)
                from("direct:calls-sub").routeConfigurationId("http").to("direct:sub").setBody(constant("not reached"));
                from("direct:sub").routeConfigurationId("http").process(e -> {
                    throw new HttpError(409, "already canceled");
                });
            }
        };
    }

    private Exchange thrown(RuntimeException error) {
        return template.request("direct:throw", e -> {
            e.getMessage().setBody(error);
            e.getMessage().setHeader("x-signature", "from the request: never echoed");
        });
    }

    @Test
    void anHttpErrorIsItsStatusAndJson() {
        Exchange e = thrown(new HttpError(413, "body too large (limit 262144 bytes)"));
        assertEquals(413, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"error\":\"body too large (limit 262144 bytes)\"}", e.getMessage().getBody(String.class));
        assertEquals("application/json", e.getMessage().getHeader("Content-Type"));
        assertNull(e.getMessage().getHeader("x-signature"), "the request's headers are not sent back");
        assertNull(e.getMessage().getHeader("Retry-After"));
    }

    @Test
    void a503CarriesRetryAfter() {
        Exchange e = thrown(new HttpError(503, "job state could not be written, retry").withRetryAfter(5));
        assertEquals(503, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("5", e.getMessage().getHeader("Retry-After", String.class));
    }

    @Test
    void anythingElseIsA500WithoutItsMessage() {
        Exchange e = thrown(new IllegalStateException("secret detail"));
        assertEquals(500, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"error\":\"internal error\"}", e.getMessage().getBody(String.class));
    }

    @Test
    void aSubRoutesErrorIsAnsweredAsJsonToo() {
        Exchange e = template.request("direct:calls-sub", x -> x.getMessage().setBody("{}"));
        assertEquals(409, e.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class));
        assertEquals("{\"error\":\"already canceled\"}", e.getMessage().getBody(String.class));
        assertNull(e.getException());
    }
}
