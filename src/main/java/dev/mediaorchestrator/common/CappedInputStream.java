package dev.mediaorchestrator.common;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that fails a read past {@code max} bytes with {@link TooLarge}: a body whose length was
 * not declared (chunked) is bounded while it streams. The store's upload that reads it then fails
 * as on any failed source, so nothing is stored.
 */
public final class CappedInputStream extends FilterInputStream {
    /** More than the cap was read. */
    public static final class TooLarge extends IOException {
        TooLarge(long max) {
            super("more than " + max + " bytes");
        }
    }

    private final long max;
    private long read;

    public CappedInputStream(InputStream in, long max) {
        super(in);
        this.max = max;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        count(b < 0 ? 0 : 1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        count(Math.max(n, 0));
        return n;
    }

    private void count(int n) throws TooLarge {
        read += n;
        if (read > max) {
            throw new TooLarge(max);
        }
    }
}
