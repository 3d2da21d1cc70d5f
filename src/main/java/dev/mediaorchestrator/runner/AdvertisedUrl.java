package dev.mediaorchestrator.runner;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where the orchestrator can reach this runner process, which the runner tells it in each job's
 * answer to {@code POST /render} and in its callbacks ({@code runnerUrl}), so that the job's probes
 * and cancel reach this process and not whichever one a Service in front of several picks (issue 29).
 * In order: {@code RUNNER_ADVERTISED_URL} when set (Kubernetes: {@code http://$(POD_IP):8080} from the
 * downward API); the address the process listens on, when it listens on one ({@code HOST=10.1.2.3},
 * {@code 127.0.0.1}); listening on every address ({@code HOST=0.0.0.0}, as in the images), the
 * machine's only non-loopback IPv4 address when it has exactly one (a container's); else nothing,
 * and the orchestrator keeps to its configured runner URL. Each runner adds its path
 * ({@code /runners/burner-ffmpeg} when it shares the process with the orchestrator). The orchestrator
 * decides whether it uses what it is told (its RunnerAddress).
 */
public final class AdvertisedUrl {
    private AdvertisedUrl() {
    }

    /** The runner's address: {@code configured} or its own from {@code host} and {@code port}, plus {@code path}; null when it has none to tell. */
    public static URI of(URI configured, String host, int port, String path) {
        String base;
        if (configured != null) {
            base = configured.toString();
        } else {
            String own = ownHost(host);
            if (own == null) {
                return null;
            }
            base = "http://" + own + ":" + port;
        }
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
    }

    /** The host part for a process bound to {@code host}, or null when no single address can be told. */
    static String ownHost(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equals("0.0.0.0") || h.equals("::")) {
            InetAddress only = onlyAddress();
            return only == null ? null : only.getHostAddress();
        }
        if (h.equalsIgnoreCase("localhost")) {
            return "127.0.0.1";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    /** The one up, non-loopback, non-link-local IPv4 address of this machine, or null when it has none or several. */
    private static InetAddress onlyAddress() {
        List<InetAddress> found = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback() || ni.isVirtual() || ni.isPointToPoint()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                        found.add(a);
                    }
                }
            }
        } catch (SocketException e) {
            return null;
        }
        return found.size() == 1 ? found.get(0) : null;
    }
}
