package dev.mediaorchestrator.common;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HmacTest {
    @Test
    void matchesRfc4231TestCase2() {
        Hmac h = new Hmac("Jefe");
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                h.sign("what do ya want for nothing?".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void verifiesOnlyTheExactBytesAndSecret() {
        Hmac h = new Hmac("s3cret");
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        String sig = h.sign(body);
        assertTrue(h.verify(body, sig));
        assertTrue(h.verify(body, sig.toUpperCase()), "hex case does not matter");
        assertFalse(h.verify("{\"a\":2}".getBytes(StandardCharsets.UTF_8), sig));
        assertFalse(new Hmac("other").verify(body, sig));
        assertFalse(h.verify(body, null));
        assertFalse(h.verify(body, ""));
        assertFalse(h.verify(body, sig.substring(0, 63)));
    }

    @Test
    void urlSignatureCoversMethodPathKindAndExpiry() {
        Hmac h = new Hmac("s3cret");
        String sig = h.signUrl("PUT", "/upload/job_a", "video", 1000);
        assertTrue(h.verifyUrl("PUT", "/upload/job_a", "video", 1000, sig));
        assertFalse(h.verifyUrl("GET", "/upload/job_a", "video", 1000, sig));
        assertFalse(h.verifyUrl("PUT", "/upload/job_b", "video", 1000, sig));
        assertFalse(h.verifyUrl("PUT", "/upload/job_a", "audio", 1000, sig));
        assertFalse(h.verifyUrl("PUT", "/upload/job_a", "video", 1001, sig));
        assertNotEquals(sig, h.signUrl("PUT", "/upload/job_a", "video", 1001));
    }
}
