package dev.mediaorchestrator.burner;

/**
 * The two escaping levels of an ffmpeg filter graph (ffmpeg-filters, "Notes on filtergraph
 * escaping"), for values we do not control: file paths and hint text.
 *
 * <ol>
 *   <li>{@link #optionValue(String)}: inside one filter's {@code key=value:key=value} list, a
 *       value ends at {@code :} and {@code \} and {@code '} are escape characters.</li>
 *   <li>{@link #filterArgs(String)}: in the graph description, a filter's whole argument string
 *       ends at {@code [ ] , ;} and again {@code \} and {@code '} are escape characters.</li>
 * </ol>
 * Both parsers (ffmpeg's {@code av_get_token}) trim unescaped leading and trailing whitespace, so
 * that whitespace is escaped too. Every special character is escaped with a backslash; nothing is
 * quoted, so a {@code '} in the text needs no special case.
 */
public final class FilterEscaping {

    private FilterEscaping() {
    }

    /** Level 1: a filter option value. */
    public static String optionValue(String value) {
        return escape(value, "\\':");
    }

    /** Level 2: a filter's complete argument string inside the graph description. */
    public static String filterArgs(String args) {
        return escape(args, "\\'[],;");
    }

    /**
     * One filter of a chain: {@code name=k1=v1:k2=v2…} with every value escaped at level 1 and the
     * argument string at level 2.
     *
     * @param keyValues alternating option names and raw (unescaped) values
     */
    public static String filter(String name, String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("options come in key/value pairs");
        }
        StringBuilder args = new StringBuilder();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (i > 0) {
                args.append(':');
            }
            args.append(keyValues[i]).append('=').append(optionValue(keyValues[i + 1]));
        }
        return keyValues.length == 0 ? name : name + "=" + filterArgs(args.toString());
    }

    private static String escape(String value, String specials) {
        int first = 0;
        while (first < value.length() && Character.isWhitespace(value.charAt(first))) {
            first++;
        }
        int last = value.length() - 1;
        while (last >= first && Character.isWhitespace(value.charAt(last))) {
            last--;
        }
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean edgeSpace = (i < first || i > last);
            if (specials.indexOf(c) >= 0 || edgeSpace) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
