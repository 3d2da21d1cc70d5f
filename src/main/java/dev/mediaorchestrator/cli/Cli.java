package dev.mediaorchestrator.cli;

import dev.mediaorchestrator.Env;
import dev.mediaorchestrator.common.Hmac;
import dev.mediaorchestrator.common.Json;
import dev.mediaorchestrator.orchestrator.JobRequest;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command-line client, in the same jar as the service:
 * <pre>
 *   submit --video FILE --vtt FILE [--media-id ID] [--options JSON]   burn subtitles into a local video
 *   submit --url URL [--quality 720p|1080p] [--media-id ID]           download a video
 *   status JOB_ID
 *   deliveries JOB_ID                                                 the terminal callback's delivery log
 *   redeliver JOB_ID                                                  the same callback again, now
 * </pre>
 * It signs its requests like the app does (secret from {@code JOB_CALLBACK_HMAC_SECRET} or
 * {@code DATA_DIR/secret}), shows a live progress bar with phase and percent, and saves the
 * artifacts under {@code ./out/{jobId}/}. Local files go to the service's media library
 * ({@code MEDIA_DIR}), which the service serves to itself as the app would.
 */
public final class Cli {
    private final Map<String, String> env;
    private final PrintStream out;
    /**
     * Follows redirects: {@code /artifacts} of a service in direct mode answers 302 to the bucket
     * (ARTIFACTS_REDIRECT). HTTP/1.1: on the embedded store the artifact is then sent straight from
     * its file (an h2c connection is relayed).
     */
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NORMAL).version(HttpClient.Version.HTTP_1_1).build();
    private final URI server;
    private final Path outDir;

    public Cli(Map<String, String> env, PrintStream out) {
        this.env = env;
        this.out = out;
        String port = Env.str(env, "PORT", "8787");
        this.server = URI.create(Env.str(env, "ORCHESTRATOR_URL", "http://127.0.0.1:" + port));
        this.outDir = Path.of(Env.str(env, "OUT_DIR", "./out"));
    }

    /** Runs a command; returns the process exit code. */
    public int run(String[] args) {
        try {
            if (args.length >= 2 && args[0].equals("status")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/jobs/" + args[1])).build(),
                        HttpResponse.BodyHandlers.ofString());
                out.println(r.body());
                return r.statusCode() == 200 ? 0 : 1;
            }
            if (args.length >= 2 && args[0].equals("deliveries")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/jobs/" + args[1] + "/deliveries")).build(),
                        HttpResponse.BodyHandlers.ofString());
                out.println(r.body());
                return r.statusCode() == 200 ? 0 : 1;
            }
            if (args.length >= 2 && args[0].equals("redeliver")) {
                byte[] bytes = Json.writeBytes(Map.of("ts", System.currentTimeMillis()));
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/jobs/" + args[1] + "/callback/redeliver"))
                        .header("content-type", "application/json").header("x-signature", new Hmac(secret()).sign(bytes))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
                out.println(r.body());
                return r.statusCode() == 200 && r.body().contains("\"delivered\":true") ? 0 : 1;
            }
            if (args.length >= 1 && args[0].equals("submit")) {
                return submit(options(args));
            }
        } catch (UsageException e) {
            out.println("error: " + e.getMessage());
            out.println(usage());
            return 2;
        } catch (IOException e) {
            out.println("error: cannot reach the service at " + server + " (" + e.getClass().getSimpleName() + ")");
            return 3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
        out.println(usage());
        return 2;
    }

    public static String usage() {
        return """
                usage: java -jar media-orchestrator.jar submit --video FILE --vtt FILE [--media-id ID] [--options JSON]
                       java -jar media-orchestrator.jar submit --url URL [--quality 720p|1080p] [--media-id ID]
                       java -jar media-orchestrator.jar status JOB_ID
                       java -jar media-orchestrator.jar deliveries JOB_ID     (the terminal callback's attempts)
                       java -jar media-orchestrator.jar redeliver JOB_ID      (send the terminal callback again, now)""";
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new UsageException("unexpected argument: " + args[i]);
            }
            o.put(args[i].substring(2), args[++i]);
        }
        return o;
    }

    @SuppressWarnings("unchecked")
    private int submit(Map<String, String> o) throws IOException, InterruptedException {
        Map<String, Object> body = new LinkedHashMap<>();
        String mediaId;
        List<String> kinds = new ArrayList<>();
        if (o.containsKey("url")) {
            mediaId = o.getOrDefault("media-id", "dl-" + shortHash(o.get("url") + System.nanoTime()));
            Map<String, Object> options = new LinkedHashMap<>();
            options.put("url", o.get("url"));
            options.put("quality", o.getOrDefault("quality", "1080p"));
            body.put("engine", "media-downloader");
            body.put("options", options);
            kinds.addAll(List.of("video", "audio", "metadata"));
        } else if (o.containsKey("video") && o.containsKey("vtt")) {
            Path video = Path.of(o.get("video"));
            Path vtt = Path.of(o.get("vtt"));
            for (Path p : List.of(video, vtt)) {
                if (!Files.isRegularFile(p)) {
                    throw new UsageException("no such file: " + p);
                }
            }
            mediaId = o.getOrDefault("media-id", mediaIdFor(video));
            Path media = Path.of(Env.str(env, "MEDIA_DIR", "./media"));
            Files.createDirectories(media);
            Files.copy(video, media.resolve(mediaId + ".mp4"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(vtt, media.resolve(mediaId + ".vtt"), StandardCopyOption.REPLACE_EXISTING);
            body.put("engine", "burner-ffmpeg");
            body.put("options", o.containsKey("options") ? Json.parseObject(o.get("options").getBytes(StandardCharsets.UTF_8)) : Map.of());
            kinds.add("video");
        } else {
            throw new UsageException("give --video and --vtt, or --url");
        }
        if (!JobRequest.MEDIA_ID.matcher(mediaId).matches()) {
            throw new UsageException("--media-id must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}");
        }
        body.put("mediaId", mediaId);
        body.put("ts", System.currentTimeMillis());
        byte[] bytes = Json.writeBytes(body);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/jobs"))
                .header("content-type", "application/json")
                .header("x-signature", new Hmac(secret()).sign(bytes))
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) {
            out.println("error: the service answered " + r.statusCode() + " " + r.body());
            return 1;
        }
        String jobId = (String) Json.parseObject(r.body().getBytes(StandardCharsets.UTF_8)).get("jobId");
        out.println("job " + jobId + " (" + body.get("engine") + ", media " + mediaId + ")");
        Map<String, Object> doc = follow(jobId);
        if (!"completed".equals(doc.get("status"))) {
            out.println("job " + jobId + " " + doc.get("status") + ": " + doc.get("error"));
            return 1;
        }
        Path dir = outDir.resolve(jobId);
        Files.createDirectories(dir);
        for (String kind : kinds) {
            String name = switch (kind) {
                case "audio" -> "audio.mp3";
                case "metadata" -> "metadata.json";
                default -> "video.mp4";
            };
            Path target = dir.resolve(name);
            HttpResponse<Path> a = http.send(HttpRequest.newBuilder(server.resolve("/artifacts/" + jobId + (kind.equals("video") ? "" : "?kind=" + kind))).build(),
                    HttpResponse.BodyHandlers.ofFile(target));
            if (a.statusCode() != 200) {
                out.println("error: artifact " + kind + " answered " + a.statusCode());
                return 1;
            }
            out.println("saved " + target.toAbsolutePath() + " (" + Files.size(target) + " bytes)");
        }
        return 0;
    }

    /** Polls the job and draws a progress bar until it is terminal. */
    private Map<String, Object> follow(String jobId) throws IOException, InterruptedException {
        boolean tty = System.console() != null;
        String last = "";
        while (true) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.resolve("/jobs/" + jobId)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, Object> doc = Json.parseObject(r.body().getBytes(StandardCharsets.UTF_8));
            double progress = doc.get("progress") instanceof Number n ? n.doubleValue() : 0;
            String line = bar(progress) + String.format(Locale.ROOT, " %3d%% %s", Math.round(progress * 100), doc.get("phase"));
            if (!line.equals(last)) {
                out.print(tty ? "\r" + line : line + "\n");
                out.flush();
                last = line;
            }
            String status = String.valueOf(doc.get("status"));
            if (status.equals("completed") || status.equals("failed") || status.equals("canceled")) {
                if (tty) {
                    out.println();
                }
                return doc;
            }
            Thread.sleep(500);
        }
    }

    static String bar(double progress) {
        int filled = (int) Math.round(Math.max(0, Math.min(1, progress)) * 30);
        return "[" + "#".repeat(filled) + "-".repeat(30 - filled) + "]";
    }

    private String secret() throws IOException {
        String s = env.get("JOB_CALLBACK_HMAC_SECRET");
        if (s != null && !s.isBlank()) {
            return s;
        }
        Path file = Path.of(Env.str(env, "DATA_DIR", "./data")).resolve("secret");
        if (!Files.exists(file)) {
            throw new UsageException("no secret: set JOB_CALLBACK_HMAC_SECRET or run from the service's directory (" + file + ")");
        }
        return Files.readString(file).trim();
    }

    static String mediaIdFor(Path video) throws IOException {
        String base = video.getFileName().toString().replaceAll("\\.[^.]*$", "").replaceAll("[^A-Za-z0-9_-]", "-");
        if (base.isEmpty() || !Character.isLetterOrDigit(base.charAt(0))) {
            base = "m" + base;
        }
        base = base.substring(0, Math.min(base.length(), 100));
        return base + "-" + shortHash(video.toAbsolutePath() + ":" + Files.size(video) + ":" + Files.getLastModifiedTime(video));
    }

    private static String shortHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String m) {
            super(m);
        }
    }
}
