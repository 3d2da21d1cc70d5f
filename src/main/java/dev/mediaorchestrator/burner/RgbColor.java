package dev.mediaorchestrator.burner;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An opaque sRGB colour written as {@code #rgb} or {@code #rrggbb} (case-insensitive), plus its
 * conversions to the two notations the burner needs: ASS {@code &HAABBGGRR} and ffmpeg
 * {@code 0xRRGGBB}.
 */
public record RgbColor(int red, int green, int blue) {

    private static final Pattern HEX = Pattern.compile("#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})");

    public static final RgbColor WHITE = new RgbColor(255, 255, 255);
    public static final RgbColor BLACK = new RgbColor(0, 0, 0);

    public RgbColor {
        if (red < 0 || red > 255 || green < 0 || green > 255 || blue < 0 || blue > 255) {
            throw new IllegalArgumentException("colour channel out of range 0..255");
        }
    }

    /**
     * Parses {@code #rgb} or {@code #rrggbb}.
     *
     * @param field the field name used in the error message
     * @throws IllegalArgumentException naming {@code field} when the text is not such a colour
     */
    public static RgbColor parse(String text, String field) {
        String value = text == null ? "" : text.trim();
        if (!HEX.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    field + " must be a colour #rgb or #rrggbb, got '" + text + "'");
        }
        String hex = value.substring(1);
        if (hex.length() == 3) {
            hex = "" + hex.charAt(0) + hex.charAt(0) + hex.charAt(1) + hex.charAt(1)
                    + hex.charAt(2) + hex.charAt(2);
        }
        int rgb = Integer.parseInt(hex, 16);
        return new RgbColor((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff);
    }

    /**
     * ASS colour {@code &HAABBGGRR}. ASS alpha is a transparency: opacity 1 → {@code 00},
     * 0.5 → {@code 80}, 0 → {@code FF}.
     */
    public String toAss(double opacity) {
        return String.format(Locale.ROOT, "&H%02X%02X%02X%02X", assAlpha(opacity), blue, green, red);
    }

    /** ffmpeg colour syntax {@code 0xRRGGBB}. */
    public String toFfmpeg() {
        return String.format(Locale.ROOT, "0x%02X%02X%02X", red, green, blue);
    }

    /**
     * ASS alpha byte for an opacity in 0..1: {@code round((1 - opacity) × 255)}, computed on the
     * decimal value of the opacity and rounded half up (so 0.5 → 0x80 and 0.9 → 0x1A, without
     * binary floating-point surprises).
     */
    public static int assAlpha(double opacity) {
        if (!(opacity >= 0 && opacity <= 1)) {
            throw new IllegalArgumentException("opacity must be within 0..1, got " + opacity);
        }
        return BigDecimal.ONE.subtract(BigDecimal.valueOf(opacity))
                .multiply(BigDecimal.valueOf(255))
                .setScale(0, RoundingMode.HALF_UP)
                .intValueExact();
    }
}
