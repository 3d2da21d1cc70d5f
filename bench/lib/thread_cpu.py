"""thread_cpu.py snap PID OUT | thread_cpu.py diff BEFORE AFTER | thread_cpu.py total BEFORE AFTER
Where a JVM's CPU goes, by thread: 'snap' saves the user+system CPU time of every thread of PID
(/proc/PID/task/*/stat), named by `jcmd PID Thread.print` (the kernel keeps only the first 15
characters of a Java thread's name; a thread jcmd does not list keeps that); 'diff' prints the CPU
spent between two snapshots: "total N ms (JIT compiler J ms):" then by thread name without its number (all
'vert.x-worker-thread-N' together; Camel's threads by what they run), largest first, as
"group ms (percent)" (groups under 2 % are left out); 'total' prints N alone. A thread that ended
between the two snapshots is not counted."""
import json, os, re, subprocess, sys

HZ = os.sysconf("SC_CLK_TCK")


def java_names(pid):
    """Full Java thread names by native id (the kernel's copy is cut at 15 characters), from jcmd."""
    try:
        dump = subprocess.run(["jcmd", str(pid), "Thread.print"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    names = {}
    for m in re.finditer(r'^"(.*?)" .*?nid=(0x[0-9a-f]+)', dump, re.M):
        names[str(int(m.group(2), 16))] = m.group(1)
    return names


def snap(pid):
    names = java_names(pid)
    out = {}
    for tid in os.listdir("/proc/%s/task" % pid):
        try:
            with open("/proc/%s/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue  # the thread ended
        name = names.get(tid) or s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[tid] = [name, (int(fields[11]) + int(fields[12])) * 1000 // HZ]
    return out


def group(name):
    # "Camel (camel-1) thread #8 - timer://state-sync" → "Camel timer://state-sync"
    name = re.sub(r"^Camel \(.*?\) thread #\d+ - ", "Camel ", name)
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
    total = sum(groups.values())
    if sys.argv[1] == "total":
        print(total)
        sys.exit(0)
    jit = sum(ms for g, ms in groups.items() if re.match(r"C\d CompilerThre", g))
    total = total or 1
    print("total %d ms (JIT compiler %d ms): " % (sum(groups.values()), jit) + " | ".join("%s %d ms (%d%%)" % (g, ms, round(100 * ms / total))
                     for g, ms in sorted(groups.items(), key=lambda x: -x[1]) if ms * 50 >= total))
