"""thread_cpu.py snap PID OUT | thread_cpu.py diff BEFORE AFTER
Where a JVM's CPU goes, by thread: 'snap' saves the user+system CPU time of every thread of PID
(/proc/PID/task/*/stat; the kernel keeps the first 15 characters of a Java thread's name); 'diff'
prints the CPU spent between two snapshots, grouped by thread name without its number (all
'vert.x-worker-thread-N' together), largest first, as "group ms (percent)"."""
import json, os, re, sys

HZ = os.sysconf("SC_CLK_TCK")


def snap(pid):
    out = {}
    for tid in os.listdir("/proc/%s/task" % pid):
        try:
            with open("/proc/%s/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue  # the thread ended
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[tid] = [name, (int(fields[11]) + int(fields[12])) * 1000 // HZ]
    return out


def group(name):
    return re.sub(r"[-# ]?\d+$", "", name).rstrip("-#") or name


if sys.argv[1] == "snap":
    with open(sys.argv[3], "w") as f:
        json.dump(snap(sys.argv[2]), f)
else:
    before, after = (json.load(open(p)) for p in sys.argv[2:4])
    groups = {}
    for tid, (name, ms) in after.items():
        spent = ms - before.get(tid, [name, 0])[1]
        if spent > 0:
            groups[group(name)] = groups.get(group(name), 0) + spent
    total = sum(groups.values()) or 1
    print(" | ".join("%s %d ms (%d%%)" % (g, ms, round(100 * ms / total))
                     for g, ms in sorted(groups.items(), key=lambda x: -x[1]) if ms * 50 >= total))
