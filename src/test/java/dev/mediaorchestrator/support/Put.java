package dev.mediaorchestrator.support;

import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;

/** A PUT that sends exactly the Content-Type given (presigned and signed upload URLs check it). */
public final class Put {
    private Put() {
    }

    public static int put(URI url, String contentType, byte[] data) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.toURL().openConnection();
        c.setRequestMethod("PUT");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", contentType);
        c.setFixedLengthStreamingMode(data.length);
        try (OutputStream out = c.getOutputStream()) {
            out.write(data);
        }
        int code = c.getResponseCode();
        c.disconnect();
        return code;
    }
}
