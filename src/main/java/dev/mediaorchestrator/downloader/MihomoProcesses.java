package dev.mediaorchestrator.downloader;

import dev.mediaorchestrator.runner.ParentDeath;
import dev.mediaorchestrator.runner.RunnerFailure;
import dev.mediaorchestrator.runner.RunnerJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The mihomo processes of the downloader's jobs, one per job whose proxy plan needs it: its two
 * ports leased (so two jobs never share one, nor a job another program's proxy), the process started
 * in the job's work dir with its config and waited for, and stopped with its children when the job
 * ends.
 */
final class MihomoProcesses {
    private static final Logger LOG = LoggerFactory.getLogger(MihomoProcesses.class);
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    static final String DIR = "mihomo";
    static final String LOG_FILE = "mihomo.log";

    private final ProxySettings settings;
    /** mihomo ports held by running jobs; guarded by {@code this}. */
    private final Set<Integer> leasedPorts = new HashSet<>();

    MihomoProcesses(ProxySettings settings) {
        this.settings = settings;
    }

    /**
     * The mihomo ports of one job: {@code MIHOMO_PORT}/{@code MIHOMO_SOCKS_PORT} when no other job
     * holds them and nothing listens there (else yt-dlp would silently go through another job's or
     * another program's proxy), otherwise two free loopback ports.
     */
    synchronized ProxySettings leasePorts(RunnerJob job) {
        int http = settings.mihomoPort();
        int socks = settings.mihomoSocksPort();
        if (leasedPorts.contains(http) || leasedPorts.contains(socks) || listening(http) || listening(socks)) {
            http = freePort();
            do {
                socks = freePort();
            } while (socks == http);
            LOG.info("MIHOMO_PORT {} or MIHOMO_SOCKS_PORT {} is taken; job {} runs mihomo on 127.0.0.1:{} (socks {})",
                    settings.mihomoPort(), settings.mihomoSocksPort(), job.jobId, http, socks);
        }
        leasedPorts.add(http);
        leasedPorts.add(socks);
        return settings.withPorts(http, socks);
    }

    /** Starts the job's mihomo with its plan's config on its leased ports, and waits until it listens. */
    void start(RunnerJob job, Download d) {
        Path binary;
        try {
            binary = MihomoSupport.requireBinary(settings.mihomoBin());
        } catch (MihomoSupport.MihomoNotFoundException e) {
            throw new RunnerFailure(e.getMessage() + " (MIHOMO_BIN); it is needed for " + d.plan.redacted());
        }
        Path dir = job.workDir.resolve(DIR);
        Path log = dir.resolve(LOG_FILE);
        int port = d.mihomoPorts.mihomoPort();
        try {
            Path configFile = MihomoSupport.writeConfig(dir, d.plan.clashConfigYaml().orElseThrow());
            d.mihomo = new ProcessBuilder(ParentDeath.guarded(MihomoSupport.command(binary, dir, configFile))).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new RunnerFailure("mihomo could not be started: " + e.getMessage(), e);
        }
        Process p = d.mihomo;
        try {
            MihomoSupport.waitForPort("127.0.0.1", port, Instant.now().plus(START_TIMEOUT), p::isAlive);
        } catch (IllegalStateException e) {
            String tail = DownloadErrors.lastLines(DownloadErrors.tailOf(log), 3, null);
            throw new RunnerFailure(e.getMessage() + (tail == null ? "" : ": " + DownloadErrors.scrub(d, tail)));
        }
        LOG.info("mihomo started (job {}, pid {}, 127.0.0.1:{})", job.jobId, p.pid(), port);
    }

    /** Stops the job's mihomo, if any, with its children, and gives its ports back. */
    void stop(String jobId, Download d) {
        Process p = d.mihomo;
        d.mihomo = null;
        if (p != null) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            LOG.info("mihomo stopped (job {})", jobId);
        }
        ProxySettings ports = d.mihomoPorts;
        d.mihomoPorts = null;
        if (ports != null) {
            synchronized (this) {
                leasedPorts.remove(ports.mihomoPort());
                leasedPorts.remove(ports.mihomoSocksPort());
            }
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new RunnerFailure("no free port for mihomo: " + e.getMessage(), e);
        }
    }
}
