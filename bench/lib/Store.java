import dev.mediaorchestrator.storage.EmbeddedS3;

import java.nio.file.Path;

/**
 * The service's embedded S3 server (S3Proxy over a directory) alone in its own JVM, for the bench's
 * STORE=process: the service then reaches it as it reaches R2 in production, over R2_S3_ENDPOINT,
 * and the store's CPU is no longer counted as the service's. Arguments: DIR PORT ACCESS_KEY
 * SECRET_KEY BUCKET. Prints "store listening on URL" once it answers; runs until killed.
 */
public class Store {
    public static void main(String[] args) throws Exception {
        EmbeddedS3 s3 = EmbeddedS3.starting(Path.of(args[0]), Integer.parseInt(args[1]), args[2], args[3]).await();
        s3.createBucket(args[4]);
        System.out.println("store listening on " + s3.endpoint());
        Thread.currentThread().join();
    }
}
