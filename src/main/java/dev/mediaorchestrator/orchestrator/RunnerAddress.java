package dev.mediaorchestrator.orchestrator;

import dev.mediaorchestrator.Config;
import dev.mediaorchestrator.common.Cidr;
import dev.mediaorchestrator.common.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether the address a runner reports for itself ({@code runnerUrl} in its answer to
 * {@code POST /render} and in its callbacks) is used for that job's probes and cancel. The value is
 * the runner's word, so it may only name what the deployment already lets the orchestrator reach as
 * that engine's runner: the same scheme, port and path as the engine's configured runner URL
 * ({@code CONTAINER_BASE_URL…}: a pod is reached on its Service's port), a host that is an IP address
 * literal (nothing to resolve, so nothing to rebind) within {@code RUNNER_ADDRESS_CIDRS}, never a
 * link-local (cloud metadata), multicast or unspecified address, and no user info, query or fragment.
 * A runner that reports anything else is reached at the configured URL, as before.
 */
final class RunnerAddress {
    /** The address to use ({@code url}), or why the reported one is not used ({@code refusal}). */
    record Checked(String url, String refusal) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(RunnerAddress.class);
    /** Refusals already warned about (once each: a misconfiguration would otherwise warn at every dispatch). */
    private static final int MAX_WARNED = 100;

    private final Config config;
    private final List<Cidr> allowed;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    RunnerAddress(Config config) {
        this.config = config;
        this.allowed = config.runnerAddressRanges;
    }

    /**
     * The address in a runner's answer to {@code POST /render} ({@code runnerUrl}), when it may be
     * used; null when the answer names none (the original containers answer {@code {"jobId"}}) or one
     * that may not (said once per reason, in a WARN line naming it).
     */
    String fromAnswer(Job job, URI runner, String answer) {
        Object reported;
        try {
            reported = answer == null || answer.isBlank() ? null : Json.parseObject(answer.getBytes(StandardCharsets.UTF_8)).get("runnerUrl");
        } catch (RuntimeException e) {
            reported = null; // not JSON: no address
        }
        if (reported == null) {
            return null;
        }
        Checked checked = check(job.engine, reported);
        if (checked.url() == null) {
            boolean first = warned.size() < MAX_WARNED && warned.add(job.engine.id + ": " + checked.refusal());
            String line = "job {}: the address its runner reported is not used ({}): its probes and cancel go to {}";
            if (first) {
                LOG.warn(line, job.jobId, checked.refusal(), runner);
            } else {
                LOG.debug(line, job.jobId, checked.refusal(), runner);
            }
        }
        return checked.url();
    }

    /** The reported address as {@code scheme://host:port/path}, or null when it is not used (nothing reported included). */
    String usable(Engine engine, Object reported) {
        return reported == null ? null : check(engine, reported).url();
    }

    Checked check(Engine engine, Object reported) {
        URI configured = config.runnerBaseUrl(engine.id);
        if (configured == null) {
            return refused("no runner URL is configured for " + engine.id);
        }
        if (!(reported instanceof String text) || text.isBlank() || text.length() > 200) {
            return refused("not a URL");
        }
        URI u;
        try {
            u = new URI(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        } catch (URISyntaxException e) {
            return refused("not a URL");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null || u.isOpaque()) {
            return refused("not an http(s) URL");
        }
        if (u.getRawUserInfo() != null || u.getRawQuery() != null || u.getRawFragment() != null) {
            return refused("a URL with user info, query or fragment");
        }
        if (!scheme.equals(configured.getScheme().toLowerCase(Locale.ROOT)) || port(u) != port(configured)
                || !path(u).equals(path(configured))) {
            return refused("not the scheme, port and path of " + configured);
        }
        InetAddress address = Cidr.literal(u.getHost());
        if (address == null) {
            return refused("its host is not an IP address");
        }
        if (address.isAnyLocalAddress() || address.isLinkLocalAddress() || address.isMulticastAddress()
                || allowed.stream().noneMatch(c -> c.contains(address))) {
            return refused(address.getHostAddress() + " is not in RUNNER_ADDRESS_CIDRS");
        }
        return new Checked(scheme + "://" + u.getRawAuthority() + path(u), null);
    }

    private static Checked refused(String why) {
        return new Checked(null, why);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private static String path(URI u) {
        String p = u.getRawPath() == null ? "" : u.getRawPath();
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
