"""phases.py LOG JOB_ID MEDIA_ID T0_MS: where the time of one job went, from the service log's
timestamps (HH:MM:SS.mmm, local time). Each step is the time since the previous event, named by the
event that ends it; the first is measured from T0 (just before POST /jobs was sent). In fallback
mode the orchestrator logs each upload it receives; in direct mode the runner's uploads go straight
to the store and fall in the step that ends with the completion check."""
import datetime, re, sys

log, job, media, t0 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
EVENTS = [
    (r"Mirror - mirrored inputs/videos/" + re.escape(media) + r"\.", "POST+mirror video"),
    (r"Mirror - mirrored inputs/subtitles/" + re.escape(media) + r"\.", "mirror subtitles"),
    (r"start job " + job + r" ", "record+dispatch"),
    (r"start download \(job " + job, "runner starts"),
    (r"inputs ready \(job " + job, "runner downloads inputs"),
    (r"ffmpeg done \(job " + job, "ffprobe+ASS+ffmpeg"),
    (r"download done \(job " + job, "yt-dlp"),
    (r"upload (\w+) for job " + job, "upload {0}"),
    (r"Lifecycle (jobId=\S+ )?- job " + job + r" completed", "completion check"),
    (r"\[cf-callback\] recorded \w+ for job " + job, "terminal callback"),
]
day = datetime.datetime.fromtimestamp(t0 / 1000).date()
steps, prev = [], t0
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) ", line)
    if not m:
        continue
    for pattern, label in EVENTS:
        e = re.search(pattern, line)
        if e:
            h, mi, s, ms = map(int, m.groups())
            ts = datetime.datetime.combine(day, datetime.time(h, mi, s, ms * 1000)).timestamp() * 1000
            if ts < t0 - 43_200_000:
                ts += 86_400_000
            name = label.format(*e.groups())
            if name == "completion check" and not (steps and steps[-1].startswith(("upload", "ffmpeg mp3 + upload"))):
                name = "runner uploads straight to the store + " + name  # direct mode: no upload line
            if steps and steps[-1].startswith("yt-dlp "):
                name = "ffmpeg mp3 + " + name  # no log line between the two
            steps.append("%s %d" % (name, ts - prev))
            prev = ts
            break
print("  phases of %s (ms since the previous event): %s; total %d" % (job, " | ".join(steps), prev - t0))
