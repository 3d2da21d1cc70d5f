package dev.mediaorchestrator.orchestrator;

import java.security.SecureRandom;

/**
 * Job ids and where a job lives in the bucket: its record {@code state/jobs/{jobId}.json} (whose
 * ETag is its version) and, while it needs work, its marker in the active index
 * {@code state/active/{owner}/{jobId}} (docs/architecture.md). Every key of job state is made and
 * read back here, so the layout is written once.
 */
public final class JobKeys {
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final String STATE_PREFIX = "state/jobs/";
    public static final String ACTIVE_PREFIX = "state/active/";
    /** Written once the active index covers every record (records of versions before the index have no marker). */
    static final String INDEX_MARKER = "state/index-v1";

    private JobKeys() {
    }

    /** {@code job_} + 26 base32 characters: 130 random bits. */
    public static String newJobId() {
        byte[] b = new byte[17];
        RANDOM.nextBytes(b);
        StringBuilder sb = new StringBuilder("job_");
        long buffer = 0;
        int bits = 0;
        int idx = 0;
        while (sb.length() < 4 + 26) {
            if (bits < 5) {
                buffer = (buffer << 8) | (b[idx++] & 0xff);
                bits += 8;
            }
            sb.append(BASE32[(int) ((buffer >> (bits - 5)) & 31)]);
            bits -= 5;
        }
        return sb.toString();
    }

    public static boolean isJobId(String s) {
        return s != null && s.matches("job_[a-z2-7]{26}");
    }

    /** The key of a job's record. */
    static String recordKey(String jobId) {
        return STATE_PREFIX + jobId + ".json";
    }

    /** The part of a record's key that names its job, unchecked (what retention and the first indexing read). */
    static String nameOfRecord(String key) {
        return key.substring(STATE_PREFIX.length()).replace(".json", "");
    }

    /** The job id of a record's key, or null for anything else under the prefix. */
    static String jobIdOfRecord(String key) {
        if (!key.startsWith(STATE_PREFIX) || !key.endsWith(".json")) {
            return null;
        }
        String id = key.substring(STATE_PREFIX.length(), key.length() - ".json".length());
        return isJobId(id) ? id : null;
    }

    /** The key of a job's active marker: {@code state/active/{owner}/{jobId}}, or {@code state/active/{jobId}} without an owner. */
    static String markerKey(Job job) {
        return job.owner == null ? ACTIVE_PREFIX + job.jobId : ACTIVE_PREFIX + job.owner + "/" + job.jobId;
    }

    /** The job id of an active marker's key (either layout), or null. */
    static String jobIdOfMarker(String key) {
        String id = key.substring(key.lastIndexOf('/') + 1);
        return isJobId(id) ? id : null;
    }
}
