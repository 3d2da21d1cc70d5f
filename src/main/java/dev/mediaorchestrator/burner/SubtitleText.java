package dev.mediaorchestrator.burner;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.runner.RunnerFailure;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The text of a job's subtitles file, read within {@code MAX_SUBTITLES_BYTES} and decoded the way
 * WebVTT says (UTF-8, a byte order mark dropped) and the way real files come: UTF-16 with a byte
 * order mark, or without one when the file starts with {@code WEBVTT} (Windows editors save
 * "Unicode" so). Anything else, a GBK or Latin-1 file for instance, is refused with the first
 * byte that is not UTF-8 and where it is, rather than guessed: a wrong guess would burn
 * mojibake into the video.
 */
final class SubtitleText {
    private static final byte[] WEBVTT_UTF16LE = "WEBVTT".getBytes(StandardCharsets.UTF_16LE);
    private static final byte[] WEBVTT_UTF16BE = "WEBVTT".getBytes(StandardCharsets.UTF_16BE);

    private SubtitleText() {
    }

    /** Fails the job when {@code file} is larger than {@code maxBytes}. */
    static void checkSize(Path file, long maxBytes) throws IOException {
        long size = Files.size(file);
        if (size > maxBytes) {
            throw new RunnerFailure(Config.subtitlesTooLarge(size, maxBytes));
        }
    }

    /** The decoded text of {@code file}; fails the job when it is too large or not text we can read. */
    static String read(Path file, long maxBytes) throws IOException {
        checkSize(file, maxBytes);
        return decode(Files.readAllBytes(file));
    }

    /** The text of {@code bytes} (without a byte order mark). */
    static String decode(byte[] bytes) {
        if (startsWith(bytes, 0xEF, 0xBB, 0xBF)) {
            return utf8(bytes, 3);
        }
        if (startsWith(bytes, 0xFF, 0xFE, 0x00, 0x00)) {
            return utf(bytes, 4, Charset.forName("UTF-32LE"), "UTF-32LE");
        }
        if (startsWith(bytes, 0x00, 0x00, 0xFE, 0xFF)) {
            return utf(bytes, 4, Charset.forName("UTF-32BE"), "UTF-32BE");
        }
        if (startsWith(bytes, 0xFF, 0xFE)) {
            return utf(bytes, 2, StandardCharsets.UTF_16LE, "UTF-16LE");
        }
        if (startsWith(bytes, 0xFE, 0xFF)) {
            return utf(bytes, 2, StandardCharsets.UTF_16BE, "UTF-16BE");
        }
        if (startsWith(bytes, WEBVTT_UTF16LE)) {
            return utf(bytes, 0, StandardCharsets.UTF_16LE, "UTF-16LE");
        }
        if (startsWith(bytes, WEBVTT_UTF16BE)) {
            return utf(bytes, 0, StandardCharsets.UTF_16BE, "UTF-16BE");
        }
        return utf8(bytes, 0);
    }

    private static String utf8(byte[] bytes, int offset) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, bytes.length - offset);
        CharBuffer out = CharBuffer.allocate(bytes.length - offset);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isUnderflow()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new RunnerFailure("subtitles are not UTF-8 (byte 0x" + HexFormat.of().withUpperCase().toHexDigits(bytes[in.position()])
                    + " at offset " + in.position() + "); save them as UTF-8 (UTF-16 with a byte order mark is read too)");
        }
        return out.flip().toString();
    }

    private static String utf(byte[] bytes, int offset, Charset charset, String name) {
        try {
            return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, bytes.length - offset)).toString();
        } catch (CharacterCodingException e) {
            throw new RunnerFailure("subtitles start as " + name + " but are not valid " + name);
        }
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        byte[] p = new byte[prefix.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) prefix[i];
        }
        return startsWith(bytes, p);
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }
}
