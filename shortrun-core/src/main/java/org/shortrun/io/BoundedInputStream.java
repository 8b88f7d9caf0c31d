package org.shortrun.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A stream that ends after a given number of bytes and knows how many it has left: what a length
 * read from a file allows, and no more, is read from it.
 */
public final class BoundedInputStream extends FilterInputStream {

    private long remaining;

    /**
     * Bounds a stream.
     *
     * @param in the stream
     * @param length the bytes it may give
     */
    public BoundedInputStream(InputStream in, long length) {
        super(in);
        remaining = length;
    }

    /**
     * @return the bytes not read yet
     */
    public long remaining() {
        return remaining;
    }

    @Override
    public int read() throws IOException {
        if (remaining <= 0) {
            return -1;
        }
        int b = super.read();
        if (b >= 0) {
            remaining--;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (remaining <= 0) {
            return -1;
        }
        int n = super.read(b, off, (int) Math.min(len, remaining));
        if (n > 0) {
            remaining -= n;
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long skipped = super.skip(Math.min(n, remaining));
        remaining -= skipped;
        return skipped;
    }
}
