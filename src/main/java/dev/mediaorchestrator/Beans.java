package dev.mediaorchestrator;

import org.apache.camel.main.Main;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The composition of one role: one method per bean, named as the routes' {@code ref} name it. A
 * bean is made on the first call of its method and bound in Camel's registry under its name; the
 * methods call each other for what a bean needs, so nothing is made before what it depends on,
 * and reading a method tells what the bean is made of. {@link App} decides when each role's beans
 * are made (Camel Main's own configuration classes would make them inside {@code main.init()}, in
 * an order of their own, where some must exist before it and some after).
 */
abstract class Beans {
    protected final Main main;
    private final Map<String, Object> made = new HashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    Beans(Main main) {
        this.main = main;
    }

    /** The bean {@code name}: made by {@code make} on the first call, bound in the registry under that name. */
    protected final <T> T bound(String name, Supplier<T> make) {
        return made(name, make, true);
    }

    /** A part beans share that no route calls: made once, not bound. */
    protected final <T> T part(String key, Supplier<T> make) {
        return made("part:" + key, make, false);
    }

    @SuppressWarnings("unchecked")
    private <T> T made(String key, Supplier<T> make, boolean bind) {
        if (made.containsKey(key)) {
            return (T) made.get(key);
        }
        T bean = make.get();
        made.put(key, bean);
        if (bind) {
            main.bind(key, bean);
        }
        return bean;
    }

    /** {@code c} is closed when the service stops, after Camel, in the order given. */
    protected final <T extends AutoCloseable> T closedAtStop(T c) {
        closeables.add(c);
        return c;
    }

    /** Properties the route files read ({@code {{name}}}). */
    protected final void routeProperties(Map<String, String> properties) {
        properties.forEach(main::addInitialProperty);
    }

    /** What {@link #closedAtStop} was given, in order. */
    final List<AutoCloseable> closeables() {
        return List.copyOf(closeables);
    }
}
