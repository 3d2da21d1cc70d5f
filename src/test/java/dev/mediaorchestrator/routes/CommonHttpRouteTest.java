package dev.mediaorchestrator.routes;

import dev.mediaorchestrator.common.HttpError;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * common-http.camel.yaml alone: each exception a route throws becomes its JSON answer, with
 * Retry-After when the error has one, and only the headers meant to be sent.
 */
class CommonHttpRouteTest extends CamelTestSupport {
    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context, "classpath:routes/common-http.camel.yaml"));
        return context;
    }

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:throw").process(e -> {
                    throw e.getMessage().getBody(RuntimeException.class);
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
}
