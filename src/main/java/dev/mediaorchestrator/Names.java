package dev.mediaorchestrator;

/**
 * The names the route files ({@code src/main/resources/routes/*.camel.yaml}) and the Java beans
 * share: the endpoints by which one part hands a job to the next, and the exchange properties a
 * bean sets for a route to read (or the other way round). Written once here; {@code NamesTest}
 * fails on a {@code direct:} or {@code seda:} URI, an {@code ${exchangeProperty.…}} or a
 * {@code setProperty} name in a route file that is not one of these, and on a name here that
 * nothing uses.
 */
public final class Names {
    private Names() {
    }

    // ---- endpoints (docs/architecture.md walks a job through them)

    /** Every HTTP answer's last step: only the headers we mean to send, JSON content type. */
    public static final String RESPOND_JSON = "direct:respond-json";
    /** A job just recorded by {@code POST /jobs} is sent to its runner ({@code Dispatcher.dispatch}). */
    public static final String DISPATCH = "direct:dispatch";
    /** A runner's callback, admitted, becomes the job's next state ({@code RunnerReports.applyReport}). */
    public static final String RUNNER_REPORT = "direct:runner-report";
    /** Every version of a job the store learns: the dashboard's live events and listing, tracing's memory. */
    public static final String JOB_CHANGED = "direct:job-changed";
    /** A job that became terminal: its callback's first attempt and a free slot for the dispatcher, at once. */
    public static final String JOB_TERMINAL = "seda:job-terminal";
    /** The burner's accepted jobs, worked {@code RUNNER_MAX_CONCURRENCY} at a time. */
    public static final String BURNER_JOBS = "seda:burner-jobs";
    /** The downloader's accepted jobs, worked {@code RUNNER_MAX_CONCURRENCY} at a time. */
    public static final String DOWNLOADER_JOBS = "seda:downloader-jobs";

    // ---- exchange properties

    /** The job a request recorded and dispatches ({@code JobsApi.record}); the logging context's job id. */
    public static final String JOB_ID = "jobId";
    /**
     * The job a {@code POST /jobs} is about to record ({@code JobsApi.claimShared}): its dispatch is
     * reserved for the request from before the record until the request ends.
     */
    public static final String RECORDING_JOB_ID = "recordingJobId";
    /** The original answer to a request that is a copy of one already taken: answered again, nothing created. */
    public static final String REPLAY_RESPONSE = "replayResponse";
    /** The request (a runner's callback, a {@code /render}) is a copy of one already taken. */
    public static final String DUPLICATE = "duplicate";
    /** The runner's report says its outputs are in the bucket: the bucket is checked now ({@code CompletionCheck.checkOutputs}). */
    public static final String OUTPUTS_DUE = "outputsDue";
    /** A runner's job ({@code RunnerJob}), set when {@code /render} accepts it; every step of the job route gets it. */
    public static final String RUNNER_JOB = "runnerJob";
    /** The URLs a {@code /render} body must carry for its task. */
    public static final String REQUIRED_URLS = "requiredUrls";
    /** The kind of a burner task: a whole burn, or a segmented burn's {@code segment}, {@code join} or {@code plan}. */
    public static final String BURN_TASK = "burnTask";
    /** A signed request's signature (lowercase hex), set by {@code SignedRequests.verify}: a replay key. */
    public static final String SIGNATURE = "signature";
    /** A signed request's {@code nonce}, set by {@code SignedRequests.verify} (null when it has none): a replay key. */
    public static final String NONCE = "nonce";
}
