package dev.mediaorchestrator.support;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.MessageResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.schema.SchemaValidator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code openapi.yaml} enforced: every exchange a test has with the service (through
 * {@link RunningApp}, {@link ValidatingHttpClient}, {@link RawHttp}, {@link Put}) and every request
 * the service sends to a stand-in ({@link StubHttpServer}) is checked against the document with
 * Atlassian's OpenAPI validator, so that a renamed or mistyped field, an undocumented status or a
 * parameter the document does not know fails the test that saw it.
 *
 * <p>The rules, beyond the validator's own (every message an error; none ignored):
 * <ul>
 *   <li>A request the document does not allow (malformed JSON, a bad signature, a field of the
 *   wrong type, an unknown path or method) must be <em>refused</em>: a 4xx the document lists for
 *   that operation, with its error schema; an unknown path or method, a 4xx {@code {"error"}}. A
 *   test that sends such a request and expects it to be <em>accepted</em> says so where it sends it,
 *   with {@link #outsideTheDocument}.</li>
 *   <li>A body that was not read (streams: {@code /artifacts}, {@code /inputs}, {@code /upload},
 *   {@code /jobs/events}, large bodies) is not checked; its status and headers are.</li>
 *   <li>A runner's endpoints under {@code /runners/{engine}} (all-in-one) are the document's root
 *   ones.</li>
 *   <li>What the HTTP server answers any request before an operation sees it (a head over its
 *   limits, an HTTP version it does not speak) is the document's {@code x-http-refusals}.</li>
 *   <li>Schemas are as open as the document says: OpenAPI's default ({@code additionalProperties}
 *   unset) lets an object grow; {@code additionalProperties: false} in the document closes it. (The
 *   validator's own default closes every object; that would make the document say less than it is
 *   checked for.)</li>
 * </ul>
 */
public final class OpenApiCheck {
    private static final Pattern RUNNER_PREFIX = Pattern.compile("^/runners/[^/]+(?=/)");
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE");
    private static final String PATH_MISSING = "validation.request.path.missing";
    private static final String OPERATION_NOT_ALLOWED = "validation.request.operation.notAllowed";
    private static final String REQUEST_BODY_MISSING = "validation.request.body.missing";
    private static final String RESPONSE_BODY_MISSING = "validation.response.body.missing";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ThreadLocal<String> OUTSIDE = new ThreadLocal<>();
    private static final Pattern PERCENT = Pattern.compile("%(?![0-9A-Fa-f]{2})");
    private static final Pattern DOT_OR_EMPTY_SEGMENT = Pattern.compile("//|/\\.\\.?(/|$)");
    private static volatile OpenApiCheck served;

    private final OpenApiInteractionValidator validator;
    private final SchemaValidator schemas;
    private final Schema<?> error;
    /** x-http-refusals.statuses: what the HTTP server may answer any request before an operation sees it. */
    private final Set<Integer> httpRefusals;

    private OpenApiCheck(OpenAPI api) {
        // every message is an error: nothing is ignored or a warning. The one key set here,
        // validation.schema.additionalProperties, only turns off the validator's closing of every
        // object that does not say additionalProperties (see the class comment); an explicit
        // additionalProperties: false is still enforced (validation.*.body.schema.additionalProperties).
        LevelResolver levels = LevelResolver.create()
                .withDefaultLevel(ValidationReport.Level.ERROR)
                .withLevel(SchemaValidator.ADDITIONAL_PROPERTIES_KEY, ValidationReport.Level.IGNORE)
                .build();
        this.validator = OpenApiInteractionValidator.createFor(api)
                .withLevelResolver(levels)
                .withStrictOperationPathMatching()
                .build();
        this.schemas = new SchemaValidator(api, new MessageResolver(levels));
        this.error = api.getComponents().getSchemas().get("Error");
        if (error == null) {
            throw new IllegalStateException("openapi.yaml has no components.schemas.Error");
        }
        Set<Integer> refusals = new HashSet<>();
        if (api.getExtensions() != null && api.getExtensions().get("x-http-refusals") instanceof Map<?, ?> ext
                && ext.get("statuses") instanceof List<?> statuses) {
            statuses.forEach(st -> refusals.add(Integer.parseInt(String.valueOf(st))));
        }
        this.httpRefusals = Set.copyOf(refusals);
    }

    /** The service's own document ({@code openapi.yaml} on the classpath), read once. */
    public static OpenApiCheck served() {
        OpenApiCheck d = served;
        if (d == null) {
            synchronized (OpenApiCheck.class) {
                if (served == null) {
                    try (InputStream in = OpenApiCheck.class.getResourceAsStream("/openapi.yaml")) {
                        if (in == null) {
                            throw new IllegalStateException("openapi.yaml is not on the classpath");
                        }
                        served = of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                d = served;
            }
        }
        return d;
    }

    /** A document given as YAML text (the unit test of this class uses small ones). */
    public static OpenApiCheck of(String yaml) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setResolveFully(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(yaml, null, options);
        if (parsed.getOpenAPI() == null || (parsed.getMessages() != null && !parsed.getMessages().isEmpty())) {
            throw new IllegalArgumentException("the OpenAPI document does not parse: " + parsed.getMessages());
        }
        return new OpenApiCheck(parsed.getOpenAPI());
    }

    /**
     * Runs {@code call} (a request a test sends on purpose outside the document and expects to be
     * accepted, e.g. a lenient optional field) with the request's own problems allowed; its answer
     * is still checked. {@code why} names the case, for the reader.
     */
    public static <T> T outsideTheDocument(String why, Callable<T> call) throws Exception {
        if (why == null || why.isBlank()) {
            throw new IllegalArgumentException("say why the request is outside the document");
        }
        String before = OUTSIDE.get();
        OUTSIDE.set(why);
        try {
            return call.call();
        } finally {
            if (before == null) {
                OUTSIDE.remove();
            } else {
                OUTSIDE.set(before);
            }
        }
    }

    /** The reason given to {@link #outsideTheDocument} on this thread, or null. */
    static String allowedOutside() {
        return OUTSIDE.get();
    }

    /**
     * The problems of an exchange with the service: its answer against the document, and its
     * request unless the service refused it as documented or {@code requestMayBeOutside}.
     */
    public List<String> problems(WireExchange x, boolean requestMayBeOutside) {
        if (httpRefusals.contains(x.status())) {
            return x.status() / 100 == 4 ? errorBodyProblems(x) : List.of(); // x-http-refusals: the HTTP layer's, for any request
        }
        Request request = request(x);
        List<String> out = new ArrayList<>();
        List<ValidationReport.Message> requestErrors = request == null ? List.of() : errors(validate(() -> validator.validateRequest(request)));
        boolean undocumented = request == null || requestErrors.stream()
                .anyMatch(m -> m.getKey().equals(PATH_MISSING) || m.getKey().equals(OPERATION_NOT_ALLOWED));
        if (undocumented) {
            // not an operation of the document: only a refusal may answer it
            if (x.status() / 100 != 4 && !requestMayBeOutside) {
                out.add("not an operation of openapi.yaml, answered " + x.status() + " (only a 4xx refusal may answer it; "
                        + (request == null ? "the request cannot be written as an OpenAPI request" : describe(requestErrors)) + ")");
            } else if (x.status() / 100 == 4) {
                out.addAll(errorBodyProblems(x));
            }
            return out;
        }
        for (ValidationReport.Message m : errors(validate(() -> validator.validateResponse(documentedPath(x), request.getMethod(), response(x))))) {
            if (!(m.getKey().equals(RESPONSE_BODY_MISSING) && (x.responseBody() == null || x.method().equals("HEAD")))) {
                out.add("response " + describe(m));
            }
        }
        boolean refused = x.status() / 100 == 4;
        if (!refused && !requestMayBeOutside) {
            for (ValidationReport.Message m : requestErrors) {
                if (!(m.getKey().equals(REQUEST_BODY_MISSING) && x.requestBody() == null)) {
                    out.add("request " + describe(m) + " (and the service took it: " + x.status() + ")");
                }
            }
        }
        return out;
    }

    /**
     * The problems of a request the service sent to a stand-in. Only operations of the document
     * are checked: a stand-in also plays web sites and buckets.
     */
    public List<String> requestProblems(WireExchange x) {
        Request request = request(x);
        if (request == null) {
            return List.of();
        }
        List<ValidationReport.Message> errors = errors(validate(() -> validator.validateRequest(request)));
        if (errors.stream().anyMatch(m -> m.getKey().equals(PATH_MISSING) || m.getKey().equals(OPERATION_NOT_ALLOWED))) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (ValidationReport.Message m : errors) {
            if (!(m.getKey().equals(REQUEST_BODY_MISSING) && x.requestBody() == null)) {
                out.add("request " + describe(m));
            }
        }
        return out;
    }

    /** The failure of an exchange with the service: what it was and each problem, with where to fix it. */
    static AssertionError failure(WireExchange x, List<String> problems) {
        return new AssertionError("openapi.yaml: " + x.title() + " is not what the document says"
                + " (fix src/main/resources/openapi.yaml, or the code where it breaks /work/shared/CONTRACT.md):\n  "
                + String.join("\n  ", problems));
    }

    /** An error answer to an undocumented request: JSON {@code {"error": "..."}} (the document's Error). */
    private List<String> errorBodyProblems(WireExchange x) {
        if (x.responseBody() == null || x.method().equals("HEAD")) {
            return List.of();
        }
        String type = x.responseHeader("content-type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return List.of("response: a refusal answered with Content-Type '" + type + "', not application/json (components.schemas.Error)");
        }
        ValidationReport report = validate(() -> schemas.validate(() -> JSON.readTree(x.responseBody()), error, "response.body"));
        return errors(report).stream().map(m -> "response " + describe(m) + " (components.schemas.Error)").toList();
    }

    private interface Validation {
        ValidationReport run();
    }

    /** The report, or one message saying what the validator could not take (a hostile path it cannot parse). */
    private static ValidationReport validate(Validation v) {
        try {
            return v.run();
        } catch (RuntimeException e) {
            return ValidationReport.singleton(ValidationReport.Message.create("validation.unreadable",
                    "the validator could not read the exchange: " + e).build());
        }
    }

    private static List<ValidationReport.Message> errors(ValidationReport report) {
        return report.getMessages().stream().filter(m -> m.getLevel() == ValidationReport.Level.ERROR).toList();
    }

    private static String describe(List<ValidationReport.Message> messages) {
        return String.join("; ", messages.stream().map(OpenApiCheck::describe).toList());
    }

    /** "body /durationMs: string found, integer expected [validation.response.body.schema.type] in GET /jobs/{jobId} 200" */
    private static String describe(ValidationReport.Message m) {
        StringBuilder s = new StringBuilder();
        String key = m.getKey();
        int dot = key.indexOf('.', "validation.".length());
        String where = dot < 0 ? "" : key.substring(dot + 1); // body.schema.type, parameter.query.missing, status.unknown
        int end = where.indexOf('.');
        s.append(end < 0 ? where : where.substring(0, end));
        m.getContext().flatMap(ValidationReport.MessageContext::getPointers)
                .map(ValidationReport.MessageContext.Pointers::getInstance)
                .filter(p -> !p.isEmpty() && !p.equals("$") && !p.equals("/"))
                .ifPresent(p -> s.append(' ').append(p));
        m.getContext().flatMap(ValidationReport.MessageContext::getParameter)
                .ifPresent(p -> s.append(" '").append(p.getName()).append('\''));
        String text = m.getMessage().replace('\n', ' ').replaceFirst("^\\[Path '[^']*'\\] ", "");
        s.append(": ").append(text).append(" [").append(key).append(']');
        m.getContext().flatMap(ValidationReport.MessageContext::getApiOperation)
                .ifPresent(op -> s.append(" in ").append(op.getMethod()).append(' ').append(op.getApiPath().original())
                        .append(m.getContext().flatMap(ValidationReport.MessageContext::getResponseStatus).map(st -> " " + st).orElse("")));
        return s.toString();
    }

    /** The document's path for the exchange's: a runner's endpoints under /runners/{engine} are its root ones. */
    private static String documentedPath(WireExchange x) {
        return RUNNER_PREFIX.matcher(x.path()).replaceFirst("");
    }

    /**
     * The request as the validator takes it, or null when it is not a request for any of the
     * document's paths: an unknown method, a target that is not a plain path (absolute form, spaces,
     * control bytes, a bad escape), or one with dot or empty segments, which the server resolves
     * to another path before routing.
     */
    private static Request request(WireExchange x) {
        if (!METHODS.contains(x.method()) || !x.target().startsWith("/") || x.target().chars().anyMatch(c -> c <= ' ' || c >= 0x7f)
                || PERCENT.matcher(x.target()).find()
                || DOT_OR_EMPTY_SEGMENT.matcher(x.path().replace("%2e", ".").replace("%2E", ".")).find()) {
            return null;
        }
        try {
            SimpleRequest.Builder b = new SimpleRequest.Builder(x.method(), documentedPath(x), true);
            Map<String, List<String>> query = new LinkedHashMap<>();
            if (x.query() != null && !x.query().isEmpty()) {
                for (String pair : x.query().split("&")) {
                    int eq = pair.indexOf('=');
                    String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                    String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                    query.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                }
            }
            query.forEach(b::withQueryParam);
            x.requestHeaders().forEach(b::withHeader);
            if (x.requestBody() != null && x.requestBody().length > 0) {
                b.withBody(x.requestBody());
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            return null; // a query with a bad escape
        }
    }

    private static SimpleResponse response(WireExchange x) {
        SimpleResponse.Builder b = new SimpleResponse.Builder(x.status());
        x.responseHeaders().forEach(b::withHeader);
        if (x.responseBody() != null && x.responseBody().length > 0 && !x.method().equals("HEAD")) {
            b.withBody(x.responseBody());
        }
        return b.build();
    }
}
