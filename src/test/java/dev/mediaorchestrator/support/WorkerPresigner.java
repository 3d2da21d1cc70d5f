package dev.mediaorchestrator.support;

import dev.mediaorchestrator.storage.EmbeddedS3;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Presigns the way the original Cloudflare Worker does (CONTRACT.md, "Presigned PUT headers").
 * Input GETs: the AWS SDK's {@code S3Presigner} (host signed). Output PUTs: {@code content-type},
 * {@code host} and {@code x-amz-content-sha256: UNSIGNED-PAYLOAD} signed, as the Worker's
 * aws4fetch does for S3 in query-signing mode. Neither of the SDK's presigners can make that URL
 * (both {@code S3Presigner} and {@code AwsV4HttpSigner} in query mode leave
 * {@code x-amz-content-sha256} out of {@code X-Amz-SignedHeaders}), so {@link #put} is plain SigV4
 * query signing, written out here; {@link #putHostOnly} is the same code signing only {@code host},
 * which the store must accept, so the signer itself is checked.
 */
public final class WorkerPresigner implements AutoCloseable {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private final S3Presigner presigner;
    private final String bucket;
    private final URI endpoint;
    private final String accessKey;
    private final String secretKey;

    public WorkerPresigner(EmbeddedS3 s3, String bucket) {
        this.bucket = bucket;
        this.endpoint = s3.endpoint();
        this.accessKey = s3.accessKey();
        this.secretKey = s3.secretKey();
        this.presigner = S3Presigner.builder()
                .endpointOverride(s3.endpoint())
                .region(Region.of("auto"))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
                .build();
    }

    /** A PUT URL with Content-Type and the payload hash header signed, as the Worker makes it. */
    public URI put(String key, String contentType) {
        return presignPut(key, Map.of("content-type", contentType, "x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
    }

    /** The same signer, signing only {@code host}. */
    public URI putHostOnly(String key) {
        return presignPut(key, Map.of());
    }

    public URI get(String key) {
        return URI.create(presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(10))
                .getObjectRequest(g -> g.bucket(bucket).key(key))).url().toString());
    }

    private URI presignPut(String key, Map<String, String> headers) {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        String amzDate = AMZ_DATE.format(now);
        String scope = amzDate.substring(0, 8) + "/auto/s3/aws4_request";
        String host = endpoint.getHost() + (endpoint.getPort() > 0 ? ":" + endpoint.getPort() : "");
        TreeMap<String, String> signed = new TreeMap<>(headers);
        signed.put("host", host);
        String signedHeaders = String.join(";", signed.keySet());
        TreeMap<String, String> query = new TreeMap<>();
        query.put("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
        query.put("X-Amz-Credential", accessKey + "/" + scope);
        query.put("X-Amz-Date", amzDate);
        query.put("X-Amz-Expires", "600");
        query.put("X-Amz-SignedHeaders", signedHeaders);
        String path = "/" + bucket + "/" + encode(key, false);
        StringBuilder canonicalQuery = new StringBuilder();
        query.forEach((k, v) -> canonicalQuery.append(canonicalQuery.length() == 0 ? "" : "&").append(encode(k, true)).append('=').append(encode(v, true)));
        StringBuilder canonicalHeaders = new StringBuilder();
        signed.forEach((k, v) -> canonicalHeaders.append(k).append(':').append(v.trim()).append('\n'));
        String canonicalRequest = "PUT\n" + path + "\n" + canonicalQuery + "\n" + canonicalHeaders + "\n" + signedHeaders + "\nUNSIGNED-PAYLOAD";
        String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + HexFormat.of().formatHex(sha256(canonicalRequest));
        byte[] k = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), amzDate.substring(0, 8));
        for (String part : new String[]{"auto", "s3", "aws4_request"}) {
            k = hmac(k, part);
        }
        String signature = HexFormat.of().formatHex(hmac(k, stringToSign));
        return URI.create(endpoint + path + "?" + canonicalQuery + "&X-Amz-Signature=" + signature);
    }

    /** RFC 3986 encoding as SigV4 wants it; {@code /} kept in paths. */
    private static String encode(String s, boolean slash) {
        String e = URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
        return slash ? e : e.replace("%2F", "/");
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        presigner.close();
    }
}
