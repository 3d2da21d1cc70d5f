"""run_timed.py CMD [ARGS...] [';;' CMD [ARGS...]]...: runs the commands one after the other (stops at
the first failure, stdout discarded, stderr kept) and prints "wall_ms cpu_ms": the wall-clock time
from the first start to the last exit, and the user+system CPU time of the commands and their
children, then the wall-clock time of each command. The interpreter's own start is outside them."""
import resource, subprocess, sys, time

commands, current = [], []
for a in sys.argv[1:]:
    if a == ";;":
        commands.append(current)
        current = []
    else:
        current.append(a)
commands.append(current)
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
each = []
for c in commands:
    t = time.monotonic()
    code = subprocess.call(c, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    each.append((time.monotonic() - t) * 1000)
    if code != 0:
        sys.exit("%s exited with %d" % (c[0], code))
wall = (time.monotonic() - t0) * 1000
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
print("%d %d %s" % (wall, cpu, " ".join("%d" % e for e in each)))
