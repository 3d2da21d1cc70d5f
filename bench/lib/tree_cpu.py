"""CPU time (user+system, ms) of a process and of every live process below it, each with the
children it has reaped (/proc/PID/stat utime+stime+cutime+cstime). A long-lived child that reaps
its own children (the downloader's yt-dlp preloader, which forks a yt-dlp per job) only hands their
CPU up when it exits itself, so the process's own stat alone would miss it.

usage: tree_cpu.py PID
"""
import os
import sys

HZ = os.sysconf("SC_CLK_TCK")


def main(root):
    ticks, children = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue  # gone since the listing
        fields = stat[stat.rindex(")") + 2:].split()
        pid = int(name)
        ticks[pid] = sum(int(x) for x in fields[11:15])
        children.setdefault(int(fields[1]), []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    print(total * 1000 // HZ)


if __name__ == "__main__":
    main(int(sys.argv[1]))
