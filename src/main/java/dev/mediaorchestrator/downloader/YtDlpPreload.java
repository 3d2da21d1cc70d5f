package dev.mediaorchestrator.downloader;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.runner.ParentDeath;
import dev.mediaorchestrator.runner.StartedTool;
import dev.mediaorchestrator.runner.ToolLauncher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * yt-dlp loaded once and forked for each job ({@code YTDLP_PRELOAD}). A yt-dlp started with exec
 * spends about half a second of CPU before its first byte, importing its modules and compiling the
 * URL patterns of its ~1 900 extractors to find the one for the URL: on a 60 s clip that is most of
 * its time. A Python process of yt-dlp's own interpreter ({@code downloader/ytdlp-preload.py}) does
 * that once, then forks a child per job that runs {@code yt_dlp.main(args)} in the job's directory
 * with its stdout and stderr in the job's files, as the executable would: same arguments, same
 * environment, same exit value.
 *
 * <p>Only a Python yt-dlp is preloaded: {@code YTDLP_BIN} must be yt-dlp's console script (pip,
 * Debian) or its zipapp, whose {@code #!} line names a {@code python} ({@link #interpreter}); any
 * other executable (a wrapper script, a stand-alone build) is started with exec. The preloader starts
 * with the first job (which still uses exec) and is used once it has said it is ready; if it cannot
 * load yt-dlp, or ends {@value #MAX_STARTS} times, jobs keep using exec. It dies with the runner
 * (started through {@link ParentDeath} from its own thread), and its children die with it.
 *
 * <p>A yt-dlp upgraded on disk is picked up by the preloader's next start: restart the runner.
 */
public final class YtDlpPreload implements ToolLauncher, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(YtDlpPreload.class);
    static final int MAX_STARTS = 3;
    private static final long FORK_TIMEOUT_MS = 10_000;
    private static final String SCRIPT = script();

    private final String executable;
    private final List<String> command;
    private Preloader current;
    private int starts;
    private boolean closed;

    private YtDlpPreload(String executable, List<String> command) {
        this.executable = executable;
        this.command = command;
    }

    /** A preload of {@code executable} (as {@code YTDLP_BIN} names it), when it is a Python yt-dlp. */
    public static Optional<YtDlpPreload> of(String executable) {
        return ParentDeath.which(executable).flatMap(file -> interpreter(file).map(python -> {
            List<String> cmd = new ArrayList<>(python);
            cmd.add("-c");
            cmd.add(SCRIPT);
            cmd.add(file.toAbsolutePath().toString());
            return new YtDlpPreload(executable, List.copyOf(cmd));
        }));
    }

    /**
     * The interpreter of a Python yt-dlp: its {@code #!} line's (a path, or {@code /usr/bin/env
     * NAME} with NAME found on {@code PATH}) when that names a {@code python} and the file is
     * yt-dlp's console script (it imports {@code yt_dlp}) or a zipapp (the zip after the line).
     */
    static Optional<List<String>> interpreter(Path file) {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(4096);
        } catch (IOException e) {
            return Optional.empty();
        }
        String text = new String(head, StandardCharsets.ISO_8859_1);
        int eol = text.indexOf('\n');
        if (!text.startsWith("#!") || eol < 0) {
            return Optional.empty();
        }
        String[] words = text.substring(2, eol).trim().split("\\s+");
        Optional<Path> python;
        if (words.length == 1) {
            python = Optional.of(Path.of(words[0]));
        } else if (words.length == 2 && words[0].endsWith("/env")) {
            python = ParentDeath.which(words[1]);
        } else {
            return Optional.empty();
        }
        boolean consoleScript = text.contains("from yt_dlp import") || text.contains("import yt_dlp");
        boolean zipapp = text.startsWith("PK\u0003\u0004", eol + 1);
        return python.filter(p -> p.getFileName().toString().startsWith("python") && Files.isExecutable(p))
                .filter(p -> consoleScript || zipapp)
                .map(p -> List.of(p.toString()));
    }

    /** Empty until the preloader is ready (the first call starts it), or when it cannot be used. */
    @Override
    public Optional<StartedTool> start(List<String> cmd, Path dir, Path stdout, Path stderr) {
        Preloader p = ready();
        return p == null ? Optional.empty() : p.fork(cmd.subList(1, cmd.size()), dir, stdout, stderr);
    }

    /** The preloader when it is ready; else starts one (unless it failed for good) and says null. */
    private synchronized Preloader ready() {
        if (current != null && current.ready) {
            return current;
        }
        if (closed || current != null && !current.ended || starts >= MAX_STARTS) {
            return null;
        }
        starts++;
        current = new Preloader();
        Thread thread = new Thread(current::run, "ytdlp-preload");
        thread.setDaemon(true);
        thread.start();
        return null;
    }

    /** Whether jobs are forked now (tests). */
    synchronized boolean isReady() {
        return current != null && current.ready;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (current != null) {
            current.stop();
        }
    }

    /** One preloader process, started and read by its own thread: the process dies when that thread ends. */
    private final class Preloader {
        private final AtomicLong ids = new AtomicLong();
        private final Map<Long, CompletableFuture<Long>> forks = new ConcurrentHashMap<>();
        private final Map<Long, CompletableFuture<Integer>> exits = new ConcurrentHashMap<>();
        /** The pids of its children that have not ended, by request. */
        private final Map<Long, Long> children = new ConcurrentHashMap<>();
        private volatile Process process;
        private volatile OutputStream requests;
        private volatile boolean ready;
        private volatile boolean ended;

        void run() {
            String failure = null;
            try {
                process = new ProcessBuilder(ParentDeath.guarded(command)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                requests = process.getOutputStream();
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        failure = handle(Json.MAPPER.readTree(line));
                        if (failure != null) {
                            break;
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                failure = e.toString();
            } finally {
                end(failure);
            }
        }

        /** One line of the preloader; a reason when it cannot be used. */
        private String handle(JsonNode message) {
            if (message.has("ready")) {
                ready = true;
                LOG.info("yt-dlp {} preloaded ({} extractors ready): downloads fork it instead of starting it",
                        message.path("version").asText(), message.path("extractors").asInt());
                return null;
            }
            if (!message.has("id")) {
                return message.path("error").asText("an unexpected line");
            }
            long id = message.get("id").asLong();
            if (message.has("pid")) {
                long pid = message.get("pid").asLong();
                children.put(id, pid);
                CompletableFuture<Long> fork = forks.remove(id);
                if (fork == null || !fork.complete(pid)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // nobody waits for it
                }
            } else if (message.has("exit")) {
                children.remove(id);
                CompletableFuture<Integer> exit = exits.remove(id);
                if (exit != null) {
                    exit.complete(message.get("exit").asInt());
                }
            } else {
                CompletableFuture<Long> fork = forks.remove(id);
                exits.remove(id);
                if (fork != null) {
                    fork.completeExceptionally(new IOException(message.path("error").asText()));
                }
            }
            return null;
        }

        /** Its children end with it (SIGKILL, 137); the next job starts another one, up to {@value #MAX_STARTS}. */
        private void end(String failure) {
            boolean wasReady = ready;
            ready = false;
            ended = true;
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
            }
            // its children die with it (PR_SET_PDEATHSIG); killed here too, so none outlives what is said of it
            children.values().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            forks.values().forEach(f -> f.completeExceptionally(new IOException("the yt-dlp preloader ended")));
            exits.values().forEach(e -> e.complete(128 + 9));
            synchronized (YtDlpPreload.this) {
                if (closed) {
                    return;
                }
                String then = starts < MAX_STARTS ? "started again with the next download" : "downloads start yt-dlp with exec";
                if (wasReady) {
                    LOG.warn("the yt-dlp preloader of {} ended{}; {}", executable, failure == null ? "" : " (" + failure + ")", then);
                } else {
                    LOG.warn("yt-dlp ({}) cannot be preloaded: {}; {}", executable, failure == null ? "it ended before it was ready" : failure,
                            then);
                }
            }
        }

        Optional<StartedTool> fork(List<String> args, Path dir, Path stdout, Path stderr) {
            long id = ids.incrementAndGet();
            CompletableFuture<Long> fork = new CompletableFuture<>();
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            forks.put(id, fork);
            exits.put(id, exit);
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("id", id);
            request.put("args", args);
            request.put("cwd", dir.toAbsolutePath().toString());
            request.put("stdout", stdout.toAbsolutePath().toString());
            request.put("stderr", stderr.toAbsolutePath().toString());
            try {
                synchronized (this) {
                    requests.write(Json.writeBytes(request));
                    requests.write('\n');
                    requests.flush();
                }
                return Optional.of(new Forked(fork.get(FORK_TIMEOUT_MS, TimeUnit.MILLISECONDS), exit));
            } catch (IOException | UncheckedIOException | ExecutionException e) {
                return notForked(id);
            } catch (TimeoutException e) {
                stop(); // stuck: its children die with it
                return notForked(id);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return notForked(id); // a pid that comes later is killed: nobody waits for it
            }
        }

        private Optional<StartedTool> notForked(long id) {
            forks.remove(id);
            exits.remove(id);
            return Optional.empty();
        }

        void stop() {
            Process p = process;
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    /** A child of the preloader: its exit value comes from the preloader, which reaps it. */
    private record Forked(long pid, CompletableFuture<Integer> exit) implements StartedTool {
        @Override
        public void kill() {
            if (!exit.isDone()) { // until then the pid is this child's (not reaped, so not reused)
                ProcessHandle.of(pid).ifPresent(h -> {
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                });
            }
        }

        @Override
        public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
            try {
                if (timeout <= 0) {
                    exit.get();
                } else {
                    exit.get(timeout, unit);
                }
                return true;
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public int exitValue() {
            return exit.join();
        }
    }

    private static String script() {
        try (InputStream in = YtDlpPreload.class.getResourceAsStream("/downloader/ytdlp-preload.py")) {
            if (in == null) {
                throw new IllegalStateException("downloader/ytdlp-preload.py is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
