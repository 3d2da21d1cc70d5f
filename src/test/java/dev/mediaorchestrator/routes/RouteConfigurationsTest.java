package dev.mediaorchestrator.routes;

import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every route of every route file names its error handling: platform-http routes and the direct:
 * routes they call use "http" (errors as JSON answers), timers and seda consumers "background"
 * (logged). A route without one would get no configuration at all (the configurations have ids).
 */
class RouteConfigurationsTest extends RouteTestSupport {
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
            String expected = uri.startsWith("platform-http:") || uri.startsWith("direct:") ? "http" : "background";
            assertEquals(expected, route.getRouteConfigurationId(), route.getRouteId() + " (" + uri + ")");
        }
    }
}
