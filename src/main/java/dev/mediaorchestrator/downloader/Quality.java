package dev.mediaorchestrator.downloader;

import java.util.Locale;

/** The download quality cap of {@code engineOptions.quality}: the maximum video height. */
public enum Quality {
    P720("720p", 720),
    P1080("1080p", 1080);

    /** The contract's default when {@code quality} is absent. */
    public static final Quality DEFAULT = P1080;

    private final String label;
    private final int maxHeight;

    Quality(String label, int maxHeight) {
        this.label = label;
        this.maxHeight = maxHeight;
    }

    /** The wire value, {@code 720p} or {@code 1080p}; also what the callback metadata reports. */
    public String label() {
        return label;
    }

    public int maxHeight() {
        return maxHeight;
    }

    /**
     * Parses the wire value (case-insensitive, surrounding blanks ignored).
     *
     * @param value {@code 720p}, {@code 1080p}, or null/blank for the default
     * @throws IllegalArgumentException naming {@code quality} for anything else
     */
    public static Quality parse(Object value) {
        if (value == null || value.toString().isBlank()) {
            return DEFAULT;
        }
        String v = value.toString().trim().toLowerCase(Locale.ROOT);
        for (Quality q : values()) {
            if (q.label.equals(v)) {
                return q;
            }
        }
        throw new IllegalArgumentException("quality must be 720p or 1080p");
    }

    @Override
    public String toString() {
        return label;
    }
}
