# yt-dlp, loaded once and forked for each job (dev.mediaorchestrator.downloader.YtDlpPreload).
#
# Run as: PYTHON -c "<this file>" YTDLP_EXECUTABLE, by the interpreter of that executable's "#!" line.
# A fresh yt-dlp spends about half a second before its first byte: importing its modules and
# compiling the URL patterns of its ~1 900 extractors to find the one for the URL. This process does
# that once, then forks a child per job that calls yt_dlp.main(args) exactly as the executable would.
#
# Protocol, one JSON object per line: on stdin {"id", "args", "cwd", "stdout", "stderr"}; on stdout
# first {"ready": true, "version", "extractors"} (or {"error"} and exit), then per request
# {"id", "pid"} (or {"id", "error"}) and, when that child has ended, {"id", "exit"} (128 + the signal
# for a killed child, as Java reports it). End of stdin ends this process; its children are killed
# with it (PR_SET_PDEATHSIG), as a tool started by the runner dies with the runner.
import json
import os
import selectors
import signal
import sys

sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # never import from a job's directory
EXECUTABLE = sys.argv[1]
PROTOCOL_IN = os.dup(0)
PROTOCOL_OUT = os.fdopen(os.dup(1), "w", buffering=1)
_null = os.open(os.devnull, os.O_RDWR)
os.dup2(_null, 0)
os.dup2(_null, 1)  # a stray print must not reach the protocol


def send(message):
    PROTOCOL_OUT.write(json.dumps(message) + "\n")
    PROTOCOL_OUT.flush()


try:
    import atexit
    import ctypes
    import traceback
    import zipfile

    if zipfile.is_zipfile(EXECUTABLE):  # the zipapp release: its modules are inside it
        zipfile.ZipFile(EXECUTABLE).getinfo("yt_dlp/__init__.py")
        sys.path.insert(0, EXECUTABLE)
    import yt_dlp
    from yt_dlp.extractor import gen_extractor_classes

    warmed = 0
    for extractor in gen_extractor_classes():
        try:
            extractor.suitable("https://preload.invalid/")  # compiles and keeps its URL pattern
            warmed += 1
        except Exception:
            pass
    LIBC = ctypes.CDLL(None, use_errno=True)
    VERSION = getattr(getattr(yt_dlp, "version", None), "__version__", "unknown")
except BaseException as e:  # noqa: B902 - anything that stops the preload is reported, then exec is used
    send({"error": "%s: %s" % (type(e).__name__, e)})
    sys.exit(1)

PR_SET_PDEATHSIG = 1
PRELOADER = os.getpid()


def run_child(request):
    """In the forked child: the job's directory and files, then yt-dlp's main; never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != PRELOADER:  # the preloader died before the line above
            os._exit(128 + signal.SIGKILL)
        os.chdir(request["cwd"])
        stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        close_inherited()
        sys.argv = [EXECUTABLE] + list(request["args"])
        code = yt_dlp.main(list(request["args"]))
    except SystemExit as e:
        code = e.code
    except BaseException:  # noqa: B902 - as an uncaught exception would end the executable
        traceback.print_exc()
        code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code & 0xFF)


def close_inherited():
    """Every descriptor above stderr (the protocol's, the selector's): the child keeps none of them."""
    try:
        descriptors = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        descriptors = range(3, 1024)
    for fd in descriptors:
        if fd > 2:
            try:
                os.close(fd)
            except OSError:
                pass


def exit_value(status):
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def main():
    children = {}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(PROTOCOL_IN, selectors.EVENT_READ, "requests")
    selector.register(wake_r, selectors.EVENT_READ, "children")
    send({"ready": True, "version": VERSION, "extractors": warmed})
    pending = b""
    while True:
        for key, _ in selector.select():
            if key.data == "children":
                try:
                    while os.read(wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                while children:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    if pid in children:
                        send({"id": children.pop(pid), "exit": exit_value(status)})
                continue
            data = os.read(PROTOCOL_IN, 65536)
            if not data:
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                if not line.strip():
                    continue
                request = json.loads(line)
                try:
                    pid = os.fork()
                except OSError as e:
                    send({"id": request["id"], "error": "fork: %s" % e})
                    continue
                if pid == 0:
                    run_child(request)
                children[pid] = request["id"]
                send({"id": request["id"], "pid": pid})


main()
