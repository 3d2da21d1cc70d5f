package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.storage.Storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * An MP4 input's duration, read from the bucket without ffmpeg (the orchestrator's image has none):
 * the {@code mvhd} box of its {@code moov}, found by walking the top-level boxes with a few small
 * ranged reads (the {@code moov} is at the start of a {@code +faststart} file, after the media
 * otherwise). Used to tell inputs that can be split ({@code BURN_SEGMENT_SECONDS}) from the short ones
 * that are not, without a plan task for every clip. Anything else (another container, a fragmented
 * MP4, a damaged file, a store that fails) is "unknown" ({@link #UNKNOWN}): see
 * {@link SegmentedBurns#MIN_BYTES_PER_SECOND}.
 */
final class InputDuration {
    static final double UNKNOWN = -1;
    /** Top-level boxes looked at before giving up (ftyp, free, mdat, moov, … : a handful in practice). */
    static final int MAX_BOXES = 32;
    /** A moov's children looked at before giving up (mvhd is the first in practice). */
    static final int MAX_CHILDREN = 32;

    private InputDuration() {
    }

    /** Reads {@code length} bytes at {@code offset} of the object (fewer at its end). */
    interface Reader {
        byte[] read(long offset, int length) throws IOException;
    }

    /** The duration of the object at {@code key} in the bucket: seconds, or {@link #UNKNOWN}. */
    static double of(Storage storage, String key) {
        try {
            Optional<Storage.ObjectInfo> info = storage.head(key);
            if (info.isEmpty()) {
                return UNKNOWN;
            }
            return of(info.get().size(), (offset, length) -> {
                try (InputStream in = storage.get(key, offset, offset + length - 1)) {
                    return in.readNBytes(length);
                }
            });
        } catch (RuntimeException e) {
            return UNKNOWN;
        }
    }

    /** The duration of an MP4 of {@code size} bytes: seconds, or {@link #UNKNOWN}. */
    static double of(long size, Reader reader) {
        try {
            Box moov = find(reader, 0, size, "moov", MAX_BOXES);
            if (moov == null) {
                return UNKNOWN;
            }
            Box mvhd = find(reader, moov.bodyStart(), moov.end(), "mvhd", MAX_CHILDREN);
            if (mvhd == null || mvhd.end() - mvhd.bodyStart() < 24) {
                return UNKNOWN;
            }
            byte[] b = reader.read(mvhd.bodyStart(), 32);
            int version = b[0] & 0xff;
            long timescale;
            long duration;
            if (version == 1) {
                timescale = u32(b, 20);
                duration = b.length >= 32 ? u64(b, 24) : -1;
            } else {
                timescale = u32(b, 12);
                duration = u32(b, 16);
            }
            if (timescale <= 0 || duration <= 0 || duration == 0xffffffffL && version == 0) { // 0: a fragmented MP4's
                return UNKNOWN;
            }
            return (double) duration / timescale;
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }

    /** A box: where its body starts and where it ends. */
    private record Box(long bodyStart, long end) {
    }

    /** The first box of {@code type} among the boxes from {@code start} to {@code end}, or null. */
    private static Box find(Reader reader, long start, long end, String type, int max) throws IOException {
        long offset = start;
        for (int i = 0; i < max && offset + 8 <= end; i++) {
            byte[] h = reader.read(offset, (int) Math.min(16, end - offset));
            if (h.length < 8) {
                return null;
            }
            long size = u32(h, 0);
            String name = new String(h, 4, 4, StandardCharsets.ISO_8859_1);
            if (!name.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                return null; // not an MP4 box
            }
            int header = 8;
            if (size == 1) {
                if (h.length < 16) {
                    return null;
                }
                size = u64(h, 8);
                header = 16;
            } else if (size == 0) {
                size = end - offset; // to the end
            }
            if (size < header || offset + size > end) {
                return null;
            }
            if (name.equals(type)) {
                return new Box(offset + header, offset + size);
            }
            offset += size;
        }
        return null;
    }

    private static long u32(byte[] b, int at) {
        if (b.length < at + 4) {
            return -1;
        }
        return ((long) (b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    private static long u64(byte[] b, int at) {
        if (b.length < at + 8) {
            return -1;
        }
        return (u32(b, at) << 32) | u32(b, at + 4);
    }
}
