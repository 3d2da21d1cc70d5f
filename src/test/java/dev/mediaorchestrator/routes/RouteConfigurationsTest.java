package dev.mediaorchestrator.routes;

import dev.mediaorchestrator.Names;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every route of every route file names its error handling: platform-http routes and the direct:
 * routes they call use "http" (errors as JSON answers), timers, seda consumers and the direct:
 * routes beans send to "background" (logged). A route without one would get no configuration at all (the configurations have ids).
 */
class RouteConfigurationsTest extends RouteTestSupport {
    /** The direct: endpoints Java beans send to (the job store's hand-offs): nobody to answer, their failures are logged. */
    private static final Set<String> SENT_BY_BEANS = Set.of(Names.JOB_CHANGED);

    @Override
    protected List<String> routeFiles() {
        String[] files = new File("src/main/resources/routes").list((dir, name) -> name.endsWith(".camel.yaml"));
        Arrays.sort(files);
        return List.of(files);
    }

    @Override
    protected Map<String, Object> beans() {
        return Map.of(); // never started: only the definitions are read
    }

    @Test
    void eachRouteNamesTheConfigurationOfItsConsumer() {
        List<RouteDefinition> routes = context.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinitions();
        assertFalse(routes.isEmpty());
        for (RouteDefinition route : routes) {
            String uri = route.getInput().getEndpointUri();
            String expected = uri.startsWith("platform-http:") || uri.startsWith("direct:") && !SENT_BY_BEANS.contains(uri) ? "http" : "background";
            assertEquals(expected, route.getRouteConfigurationId(), route.getRouteId() + " (" + uri + ")");
        }
    }
}
