package dev.mediaorchestrator.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** One shared, configured Jackson mapper. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
            .configure(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, false);

    private Json() {
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] writeBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a JSON object; anything else (including malformed JSON) is a 400 "malformed JSON". */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(byte[] body) {
        Object value;
        try {
            value = MAPPER.readValue(body, Object.class);
        } catch (IOException e) {
            throw HttpError.badRequest("malformed JSON");
        }
        if (!(value instanceof Map)) {
            throw HttpError.badRequest("malformed JSON: expected an object");
        }
        return (Map<String, Object>) value;
    }
}
