package dev.mediaorchestrator.observability;

import software.amazon.awssdk.awscore.exception.AwsServiceException;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import javax.net.ssl.SSLException;

/**
 * What to fix when the bucket, or a presigned URL of it, does not work: the operator sees a status
 * or an exception, this says which setting it points at. Shared by the readiness check (its
 * {@code fix} detail on {@code /health/ready}) and {@code java -jar media-orchestrator.jar check}.
 */
public final class BucketAdvice {
    private BucketAdvice() {
    }

    /** The fix for a failed call of the S3 client to {@code R2_S3_ENDPOINT} (HEAD of the bucket and the like). */
    public static String forClient(Throwable e, String bucket) {
        AwsServiceException service = find(e, AwsServiceException.class);
        if (service != null) {
            return forStatus(service.statusCode(), bucket);
        }
        return forNetwork(e, "R2_S3_ENDPOINT");
    }

    /** The fix for an answer of the S3 API (the SDK's or a presigned URL's) with this status. */
    public static String forStatus(int status, String bucket) {
        if (status == 401 || status == 403) {
            return "the store refuses the credentials: set R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY to a key pair it knows "
                    + "(R2: an API token with Object Read & Write on " + bucket + "); R2_S3_REGION must be one the store accepts (R2: auto)";
        }
        if (status == 404) {
            return "there is no bucket " + bucket + " at R2_S3_ENDPOINT: create it, correct R2_BUCKET_NAME, "
                    + "or set R2_CREATE_BUCKET=true (MinIO); R2_S3_ENDPOINT is the account's endpoint without the bucket in it";
        }
        if (status == 301 || status == 307 || status == 400) {
            return "the store answers " + status + ": R2_S3_ENDPOINT or R2_S3_REGION is not the bucket's "
                    + "(R2: https://<account>.r2.cloudflarestorage.com and auto; AWS: the bucket's region)";
        }
        if (status / 100 == 5) {
            return "the store has a problem of its own (" + status + "): look at its status page or logs, then check again";
        }
        return "the store answers " + status + ": check R2_S3_ENDPOINT, R2_BUCKET_NAME and the credentials";
    }

    /** The fix when an endpoint (named by its variable) does not answer at all; {@code e} may be null (no cause known). */
    public static String forNetwork(Throwable e, String variable) {
        if (find(e, UnknownHostException.class) != null || find(e, UnresolvedAddressException.class) != null) {
            return "the host of " + variable + " is not known here (DNS): correct the name, or use one this machine resolves "
                    + "(in a container, not localhost: the store's service name)";
        }
        if (find(e, HttpConnectTimeoutException.class) != null || find(e, HttpTimeoutException.class) != null
                || find(e, SocketTimeoutException.class) != null) {
            return "no answer from " + variable + " in time: a firewall or a wrong port; check that this machine reaches it";
        }
        if (find(e, ConnectException.class) != null || e != null && String.valueOf(e.getMessage()).contains("Connection refused")) {
            return "nothing answers at the host and port of " + variable + ": correct them, or start what should answer there "
                    + "(in a container, localhost is the container itself)";
        }
        if (find(e, SSLException.class) != null) {
            return "TLS fails with " + variable + ": is it http:// or https://? (R2 is https, MinIO in compose http)";
        }
        return "check " + variable + " and that this machine reaches it";
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
