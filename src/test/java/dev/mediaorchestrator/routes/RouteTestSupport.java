package dev.mediaorchestrator.routes;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.test.junit5.CamelTestSupport;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Route unit tests: route files loaded from {@code classpath:routes/} as the service loads them,
 * test doubles bound under the beans' names, property placeholders given; the context starts once
 * the test has replaced what talks to the world ({@link #fromDirect}, AdviceWith weaving).
 */
abstract class RouteTestSupport extends CamelTestSupport {
    /** The route files to load, {@code common-http.camel.yaml} first. */
    protected abstract List<String> routeFiles();

    /** Bean name → the test double bound under it. */
    protected abstract Map<String, Object> beans();

    protected Properties properties() {
        return new Properties();
    }

    @Override
    public boolean isUseAdviceWith() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.getPropertiesComponent().setInitialProperties(properties());
        beans().forEach((name, bean) -> context.getRegistry().bind(name, bean));
        for (String file : routeFiles()) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveMandatoryResource(context, "classpath:routes/" + file));
        }
        return context;
    }

    @Override
    protected RoutesBuilder createRouteBuilder() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                // the routes come from the files
            }
        };
    }

    /** Replaces each route's consumer (platform-http, timer, seda) with {@code direct:{routeId}}. */
    protected void fromDirect(String... routeIds) throws Exception {
        for (String id : routeIds) {
            AdviceWith.adviceWith(context, id, a -> a.replaceFromWith("direct:" + id));
        }
    }

    /**
     * A runner's beans (its jobs, its steps, the signature check) as one double that records the
     * steps called; the runner routes that are not under test only need their methods to resolve.
     */
    public static class RunnerDouble {
        public final List<String> calls = new CopyOnWriteArrayList<>();

        public void prepare(Object job) {
            calls.add("prepare");
        }

        public void upload(Object job) {
            calls.add("upload");
        }

        public void completed(Object job) {
            calls.add("completed");
        }

        public void failed(Object job, Exception e) {
            calls.add("failed: " + e.getMessage());
        }

        public void finish(Object job) {
            calls.add("finish");
        }

        public Object verify(Exchange exchange) {
            return exchange.getMessage().getBody();
        }

        public Object accept(Object body, Object urls, Exchange exchange) {
            return body;
        }

        public List<String> requiredUrls() {
            return List.of();
        }

        public String acceptedResponse(Object job) {
            return "{}";
        }

        public String status(String jobId) {
            return "{}";
        }

        public void reportProgress() {
        }

        public String health() {
            return "{}";
        }

        public String cancel(String jobId) {
            return "{}";
        }
    }
}
