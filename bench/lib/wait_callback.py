"""wait_callback.py FILE JOB_ID [TIMEOUT_S]: waits until FILE (jsonl of terminal callbacks) has a
terminal callback for JOB_ID; prints "<status> <epoch ms when seen>". Polls every 5 ms with one
process (cheap next to a fork per poll, which would steal CPU from the job being timed)."""
import json, os, sys, time

path, job, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 600
deadline = time.time() + timeout
pos = 0
buf = b""
while time.time() < deadline:
    try:
        with open(path, "rb") as f:
            f.seek(pos)
            chunk = f.read()
    except FileNotFoundError:
        chunk = b""
    if chunk:
        pos += len(chunk)
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            doc = doc.get("body", doc)
            if doc.get("jobId") == job and doc.get("status") in ("completed", "failed", "canceled"):
                print(doc["status"], int(time.time() * 1000))
                sys.exit(0)
    time.sleep(0.005)
print("timeout", int(time.time() * 1000))
sys.exit(1)
