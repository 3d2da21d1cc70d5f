package dev.mediaorchestrator;

/**
 * One environment variable of the service, with its default (the list: {@link Settings}).
 *
 * @param name  the variable
 * @param value the default as a value, read like a given one; null when there is none, or when it
 *              is worked out from other settings (then the reader says how, and {@code shown} what)
 * @param shown the default as README's settings table shows it (backticks aside): SettingsTest
 *              holds the table to these names and defaults
 */
public record Setting(String name, String value, String shown) {
    /** A default that is a value, shown as it is. */
    static Setting of(String name, String value) {
        return new Setting(name, value, value);
    }

    /** A default that is a value, shown in other words (a unit, where it comes from). */
    static Setting of(String name, String value, String shown) {
        return new Setting(name, value, shown);
    }

    /** No default: unset means off, or required where it is needed. */
    static Setting none(String name) {
        return new Setting(name, null, "—");
    }

    /** A default worked out from other settings or the machine; {@code shown} says how. */
    static Setting derived(String name, String shown) {
        return new Setting(name, null, shown);
    }
}
