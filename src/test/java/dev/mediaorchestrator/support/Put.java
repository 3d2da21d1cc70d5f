package dev.mediaorchestrator.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A PUT that sends exactly the Content-Type given (presigned and signed upload URLs check it). A PUT
 * to a {@link RunningApp} ({@code /upload}) is checked against {@code openapi.yaml}: its status,
 * headers and JSON answer; the uploaded bytes are a stream, not a body the document describes.
 */
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
        if (RunningApp.serves(url)) {
            byte[] answer;
            try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
                answer = in == null ? new byte[0] : in.readNBytes(WireExchange.MAX_CHECKED_BODY);
            }
            Map<String, List<String>> headers = new HashMap<>(c.getHeaderFields());
            headers.remove(null); // the status line
            RunningApp.check(url, new WireExchange("PUT", WireExchange.target(url),
                    Map.of("content-type", List.of(contentType), "content-length", List.of(String.valueOf(data.length))), null,
                    code, headers, answer), OpenApiCheck.allowedOutside() != null);
        }
        c.disconnect();
        return code;
    }
}
