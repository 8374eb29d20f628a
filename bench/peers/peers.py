#!/usr/bin/env python3
"""moltbot-supervisord against supervisord, s6 and PM2 on the same fleet of loopback TCP children.

For each fleet size N and each supervisor: start the supervisor (in its normal daemon mode, in a
private temp dir) with N `tcp_child PORT` children, and measure
  - the time from launching the supervisor until all N ports accept a connection,
  - kill -9 of a random child until its port accepts again (median and max over --kills),
  - the supervisor's own CPU time (/proc/PID/schedstat) over --idle-seconds of idleness,
  - the supervisor's own RSS and PSS once idle.
"The supervisor's own processes" are: moltbot-supervisord; supervisord's Python process;
s6-svscan and every s6-supervise; PM2's God daemon (not the CLI). Children are never counted.

Run through bench/peers/run.sh, which installs the peers and builds the binaries.
"""
import argparse
import ctypes
import json
import math
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"
# Each child owns a moltbot port block: gateway P, P+1..P+4, and a one-port CDP range P+5.
PORT_STRIDE = 6
# Recent s6-supervise releases respawn no sooner than one second after the previous start, and PM2
# counts a restart within min_uptime (1 s) as unstable: a child is only killed after this much
# uptime, so neither crash-loop guard is what gets measured.
MIN_CHILD_UPTIME_S = 1.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_CHILD_SUBREAPER = 36


# ---------------------------------------------------------------- /proc views

def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return None


def proc_stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (index 0 = state), or None."""
    text = read_text(f"/proc/{pid}/stat")
    if text is None:
        return None
    return text[text.rfind(")") + 2:].split()


def is_alive(pid):
    fields = proc_stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def cpu_seconds(pid):
    """Time on a CPU, to the nanosecond from schedstat (utime + stime count 10 ms ticks)."""
    schedstat = read_text(f"/proc/{pid}/schedstat")
    if schedstat:
        return int(schedstat.split()[0]) / 1e9
    fields = proc_stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0


def uptime_s(pid):
    fields = proc_stat_fields(pid)
    if fields is None:
        return 0.0
    return float(read_text("/proc/uptime").split()[0]) - int(fields[19]) / CLOCK_TICKS


def memory_kib(pid, path, key):
    for line in (read_text(f"/proc/{pid}/{path}") or "").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def children_of(pid):
    """Direct children of PID (all its threads)."""
    result = []
    for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
        result += [int(c) for c in (read_text(f"/proc/{pid}/task/{tid}/children") or "").split()]
    return result


def tcp_child_pids(tcp_child):
    """{port: pid} of every running `tcp_child PORT` of this binary."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        argv = (read_text(f"/proc/{entry}/cmdline") or "").split("\0")
        if len(argv) >= 2 and argv[0] == tcp_child and argv[1].isdigit() and is_alive(int(entry)):
            found[int(argv[1])] = int(entry)
    return found


def listening_ports(first, last):
    """TCP ports in [first, last] that something listens on, on any address."""
    held = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in (read_text(table) or "").splitlines()[1:]:
            fields = line.split()
            port = int(fields[1].rsplit(":", 1)[1], 16)
            if fields[3] == "0A" and first <= port <= last:
                held.add(port)
    return held


def accepts(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex((LOOPBACK, port)) == 0


def wait_for(predicate, timeout_s, poll_s=0.01):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll_s)
    return predicate()


def reap_orphans():
    """We are a child subreaper: daemons that double-fork end up as our children."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# ---------------------------------------------------------------- the supervisors

@dataclass
class Fleet:
    tcp_child: str
    ports: list
    workdir: str
    env: dict


class Supervisor:
    """One peer: writes its configuration, launches its daemon, names its own processes, stops."""
    def __init__(self, fleet):
        self.fleet = fleet
        self.dir = fleet.workdir
        self.log = open(os.path.join(self.dir, "launch.log"), "wb")

    def launch(self, argv, env=None):
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                env=env or self.fleet.env, cwd=self.dir, start_new_session=True)

    def configure(self):
        raise NotImplementedError

    def start(self):
        raise NotImplementedError

    def own_pids(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError

    def close(self):
        self.log.close()


def terminate(pid, timeout_s=60):
    """SIGTERM, then SIGKILL after the timeout; True if it ended."""
    if not is_alive(pid):
        return True
    os.kill(pid, signal.SIGTERM)
    if wait_for(lambda: not is_alive(pid), timeout_s):
        return True
    os.kill(pid, signal.SIGKILL)
    return wait_for(lambda: not is_alive(pid), 10)


def read_pid_file(path, timeout_s=60):
    if not wait_for(lambda: (read_text(path) or "").strip().isdigit(), timeout_s):
        raise RuntimeError(f"no pid in {path}")
    return int(read_text(path).strip())


class Moltbot(Supervisor):
    def __init__(self, fleet, binary, health):
        super().__init__(fleet)
        self.binary = binary
        self.health = health
        self.process = None

    def configure(self):
        d = self.dir
        lines = ["version: 1", "supervisor:", f"  socket: {d}/supervisord.sock", f"  log_dir: {d}/logs", "defaults:",
                 f"  command: [\"{self.fleet.tcp_child}\", \"{{port}}\"]",
                 # tcp_child is no gateway: no CLI to ask about restart handoffs.
                 "  cli: []",
                 # Restart at once, and never run out of restarts during the kills.
                 "  restart: {policy: always, backoff: {initial: 0, max: 1s, factor: 2}, max_restarts: 1000000,"
                 " window: 1m}",
                 f"  health: {self.health}",
                 "profiles:"]
        for i, port in enumerate(self.fleet.ports):
            lines += [f"  c{i}:", f"    port: {port}", f"    state_dir: {d}/c{i}/state",
                      f"    config_path: {d}/c{i}/state/clawdbot.json", f"    workspace: {d}/c{i}/workspace",
                      f"    browser: {{cdp_port_range: [{port + 5}, {port + 5}]}}"]
        with open(os.path.join(d, "fleet.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        self.process = self.launch([self.binary, "--manifest", os.path.join(self.dir, "fleet.yaml")])

    def own_pids(self):
        return [self.process.pid]

    def stop(self):
        terminate(self.process.pid)
        self.process.wait()


class Supervisord(Supervisor):
    def configure(self):
        d = self.dir
        os.makedirs(f"{d}/logs")
        lines = ["[unix_http_server]", f"file={d}/supervisor.sock", "",
                 "[rpcinterface:supervisor]",
                 "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
                 "[supervisorctl]", f"serverurl=unix://{d}/supervisor.sock", "",
                 # minfds: each child costs pipes and log files; 500 children need more than 1024.
                 "[supervisord]", f"logfile={d}/supervisord.log", f"pidfile={d}/supervisord.pid",
                 f"childlogdir={d}/logs", "minfds=8192", ""]
        for i, port in enumerate(self.fleet.ports):
            lines += [f"[program:c{i}]", f"command={self.fleet.tcp_child} {port}", "autostart=true",
                      "autorestart=true", "startsecs=0", "startretries=1000000", ""]
        with open(os.path.join(d, "supervisord.conf"), "w") as f:
            f.write("\n".join(lines))

    def start(self):
        # supervisord daemonizes itself; the launcher exits once it has forked.
        self.launcher = self.launch(["supervisord", "-c", os.path.join(self.dir, "supervisord.conf")])
        self.pid = None

    def own_pids(self):
        if self.pid is None:
            self.pid = read_pid_file(os.path.join(self.dir, "supervisord.pid"))
        return [self.pid]

    def stop(self):
        self.launcher.wait()
        terminate(self.own_pids()[0])  # SIGTERM: supervisord stops every program, then exits


class S6(Supervisor):
    def configure(self):
        scan = os.path.join(self.dir, "scan")
        os.makedirs(os.path.join(scan, ".s6-svscan"))
        for i, port in enumerate(self.fleet.ports):
            service = os.path.join(scan, f"c{i}")
            os.makedirs(service)
            run = os.path.join(service, "run")
            with open(run, "w") as f:
                f.write(f"#!/bin/sh\nexec {self.fleet.tcp_child} {port}\n")
            os.chmod(run, 0o755)

    def start(self):
        # -c: room for more services than the default limit.
        self.process = self.launch(["s6-svscan", "-c", str(2 * len(self.fleet.ports) + 16),
                                    os.path.join(self.dir, "scan")])

    def own_pids(self):
        svscan = self.process.pid
        supervisors = [pid for pid in children_of(svscan) if (read_text(f"/proc/{pid}/comm") or "").strip() ==
                       "s6-supervise"]
        return [svscan] + supervisors

    def stop(self):
        supervisors = self.own_pids()[1:]
        # -t: SIGTERM to every s6-supervise (each brings its service down and exits), then s6-svscan exits.
        subprocess.run(["s6-svscanctl", "-t", os.path.join(self.dir, "scan")], stdout=self.log,
                       stderr=subprocess.STDOUT, env=self.fleet.env, check=False)
        if not wait_for(lambda: self.process.poll() is not None, 60):
            terminate(self.process.pid)
            self.process.wait()
        wait_for(lambda: not any(is_alive(pid) for pid in supervisors), 30)


class Pm2(Supervisor):
    def __init__(self, fleet, pm2):
        super().__init__(fleet)
        self.pm2 = pm2
        self.env = dict(fleet.env, PM2_HOME=os.path.join(self.dir, "pm2"))
        self.pid = None

    def configure(self):
        apps = [{"name": f"c{i}", "script": self.fleet.tcp_child, "args": [str(port)], "interpreter": "none",
                 "exec_mode": "fork", "autorestart": True, "restart_delay": 0, "max_restarts": 1000000,
                 # vizion reads git metadata of the script's folder at every start: not wanted here.
                 "vizion": False}
                for i, port in enumerate(self.fleet.ports)]
        with open(os.path.join(self.dir, "ecosystem.json"), "w") as f:
            json.dump({"apps": apps}, f)

    def start(self):
        # The CLI spawns the God daemon, hands it the apps and exits.
        self.launcher = self.launch([self.pm2, "start", os.path.join(self.dir, "ecosystem.json")], self.env)

    def own_pids(self):
        if self.pid is None:
            self.pid = read_pid_file(os.path.join(self.dir, "pm2", "pm2.pid"))
        return [self.pid]

    def stop(self):
        self.launcher.wait()
        god = self.own_pids()[0]
        subprocess.run([self.pm2, "kill"], stdout=self.log, stderr=subprocess.STDOUT, env=self.env, check=False,
                       timeout=120)
        if not wait_for(lambda: not is_alive(god), 30):
            terminate(god)


# Ours with `health: {type: none}`: the peers probe nothing, so this row shows what the probes cost.
NO_PROBE = "moltbot-supervisord/no-probe"


def is_reference(kind):
    return kind == NO_PROBE


# ---------------------------------------------------------------- measurements

@dataclass
class Result:
    supervisor: str
    n: int
    start_ms: float = float("nan")
    rss_mib: float = float("nan")
    pss_mib: float = float("nan")
    kill_median_ms: float = float("nan")
    kill_max_ms: float = float("nan")
    kill_timeouts: int = 0
    idle_cpu_pct: float = float("nan")


def wait_all_accepting(ports, launched_at, timeout_s):
    """Time from launch until every port accepts. Ports are taken in order: one that accepts is not
    asked again, so the poll costs little CPU next to the supervisor being measured."""
    deadline = launched_at + timeout_s
    for port in ports:
        while not accepts(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {port} not accepting {timeout_s} s after the launch")
            time.sleep(0.0005)
    return (time.monotonic() - launched_at) * 1000


def kill_latencies(fleet, kills, rng, poll_s, deadline_s):
    """kill -9 of random children; ms until the port accepts again, None for a timeout."""
    latencies = []
    for _ in range(kills):
        port = rng.choice(fleet.ports)
        wait_for(lambda: port in tcp_child_pids(fleet.tcp_child), 30)
        pid = tcp_child_pids(fleet.tcp_child).get(port)
        if pid is None:
            raise RuntimeError(f"no child is running on port {port}")
        wait_for(lambda: uptime_s(pid) >= MIN_CHILD_UPTIME_S, 10)
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        # The old listener is closed once the process is a zombie or gone: a connect that succeeds
        # after that is the new child's.
        while True:
            now = time.monotonic()
            if not is_alive(pid) and accepts(port):
                latencies.append((time.monotonic() - killed_at) * 1000)
                break
            if now - killed_at > deadline_s:
                latencies.append(None)
                break
            time.sleep(poll_s)
    return latencies


def own_cpu_seconds(supervisor):
    return sum(cpu_seconds(pid) for pid in supervisor.own_pids())


def measure(kind, n, args, rng):
    ports = [args.base_port + i * PORT_STRIDE for i in range(n)]
    held = listening_ports(ports[0], ports[-1] + PORT_STRIDE - 1)
    if held and not wait_for(lambda: not listening_ports(ports[0], ports[-1] + PORT_STRIDE - 1), 30, 0.2):
        raise RuntimeError(f"ports {sorted(held)[:5]}... of the fleet's range are in use")
    workdir = tempfile.mkdtemp(prefix=f"peers-{kind.replace('/', '-')}-{n}-", dir=args.tmpdir)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": workdir, "LANG": "C.UTF-8"}
    fleet = Fleet(args.tcp_child, ports, workdir, env)
    # Ours probes each child over TCP at the defaults' interval (5 s).
    supervisor = {"moltbot-supervisord": lambda: Moltbot(fleet, args.moltbot_supervisord, "{type: tcp}"),
                  NO_PROBE: lambda: Moltbot(fleet, args.moltbot_supervisord, "{type: none}"),
                  "supervisord": lambda: Supervisord(fleet), "s6": lambda: S6(fleet),
                  "pm2": lambda: Pm2(fleet, args.pm2)}[kind]()
    result = Result(kind, n)
    supervisor.configure()
    try:
        launched_at = time.monotonic()
        supervisor.start()
        result.start_ms = wait_all_accepting(ports, launched_at, args.start_timeout)
        time.sleep(args.settle_seconds)

        latencies = kill_latencies(fleet, args.kills, rng, args.poll_ms / 1000, args.kill_deadline)
        measured = [x for x in latencies if x is not None]
        result.kill_timeouts = len(latencies) - len(measured)
        if measured:
            result.kill_median_ms = statistics.median(measured)
        result.kill_max_ms = float("inf") if result.kill_timeouts else max(measured, default=float("nan"))
        time.sleep(args.settle_seconds)

        before, started = own_cpu_seconds(supervisor), time.monotonic()
        time.sleep(args.idle_seconds)
        busy, seconds = own_cpu_seconds(supervisor) - before, time.monotonic() - started
        result.idle_cpu_pct = 100.0 * busy / seconds
        pids = supervisor.own_pids()
        result.rss_mib = sum(memory_kib(pid, "status", "VmRSS") for pid in pids) / 1024
        result.pss_mib = sum(memory_kib(pid, "smaps_rollup", "Pss") for pid in pids) / 1024
    finally:
        try:
            supervisor.stop()
        finally:
            supervisor.close()
            sweep_leftovers(fleet)
            reap_orphans()
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    return result


def sweep_leftovers(fleet):
    """Any child of this run still alive after its supervisor stopped: report it and kill it by pid."""
    ours = set(fleet.ports)
    for port, pid in tcp_child_pids(fleet.tcp_child).items():
        if port in ours:
            print(f"warning: tcp_child {pid} on port {port} outlived its supervisor; killing it", file=sys.stderr)
            os.kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------- output

COLUMNS = [("supervisor", "supervisor"), ("N", "n"), ("all accepting (ms)", "start_ms"),
           ("RSS (MiB)", "rss_mib"), ("PSS (MiB)", "pss_mib"), ("kill→accept median (ms)", "kill_median_ms"),
           ("kill→accept max (ms)", "kill_max_ms"), ("idle CPU (% of a core)", "idle_cpu_pct")]


def cell(value, best):
    if isinstance(value, str) or isinstance(value, int):
        return str(value)
    if value != value:
        return "-"
    if value == float("inf"):
        return "timeout"
    text = f"{value:.4f}" if 0 < abs(value) < 0.01 else f"{value:.3f}" if abs(value) < 0.1 else f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return f"**{text}**" if best else text


def markdown_table(results):
    lines = ["| " + " | ".join(title for title, _ in COLUMNS) + " |",
             "|---|---:|" + "---:|" * (len(COLUMNS) - 2)]
    for result in results:
        peers = [r for r in results if r.n == result.n and not is_reference(r.supervisor)]
        cells = []
        for _, key in COLUMNS:
            value = getattr(result, key)
            numeric = [getattr(r, key) for r in peers if isinstance(getattr(r, key), float)
                       and getattr(r, key) == getattr(r, key)]
            best = (key not in ("supervisor", "n") and not is_reference(result.supervisor) and len(peers) > 1
                    and numeric and value == min(numeric))
            cells.append(cell(value, best))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


PLOT = """
set terminal pngcairo size 1500,960 font "sans,10"
set output "{png}"
set multiplot title "{title}" font ",12"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set xlabel "children (N)"
unset key
{panels}
# The legend: a plot of nothing across the full width, so that all names fit on one line.
set origin 0, 0.885
set size 1, 0.06
unset border
unset tics
unset title
unset xlabel
unset ylabel
unset logscale y
set xrange [0:1]
set yrange [0:1]
set key center center horizontal maxrows 1 samplen 2 font ",10"
plot for [i=1:{count}] NaN with boxes linecolor i title word("{names}", i)
unset multiplot
"""

PANEL = """set origin {x}, {y}
set size 0.333, 0.42
set title "{title}"
set ylabel "{unit}"
{scale}
plot for [col=2:{last}] "{dat}" index {index} using col:xtic(1) title columnheader(col)
"""

PANELS = [("time until all N accept", "ms", "start_ms", True),
          ("supervisor RSS (own processes)", "MiB", "rss_mib", True),
          ("supervisor PSS (own processes)", "MiB", "pss_mib", True),
          ("kill -9 to accepting again: median", "ms", "kill_median_ms", True),
          ("kill -9 to accepting again: max", "ms", "kill_max_ms", True),
          ("idle CPU", "% of one core", "idle_cpu_pct", False)]


def log_axis_range(values):
    """Powers of ten around the bars, with room below the smallest so that it still shows."""
    positive = [v for v in values if v == v and 0 < v < float("inf")] or [1]
    bottom = 10 ** math.floor(math.log10(min(positive)))
    if min(positive) < 1.5 * bottom:
        bottom /= 10
    return bottom, 10 ** math.ceil(math.log10(1.3 * max(positive)))


def write_chart(results, dat_path, png_path, title):
    kinds = list(dict.fromkeys(r.supervisor for r in results))
    ns = sorted({r.n for r in results})
    by_key = {(r.supervisor, r.n): r for r in results}
    blocks, panels = [], []
    for index, (panel_title, unit, key, log) in enumerate(PANELS):
        rows = ["N " + " ".join(kinds)]
        for n in ns:
            values = [getattr(by_key[(kind, n)], key) if (kind, n) in by_key else float("nan") for kind in kinds]
            rows.append(f"{n} " + " ".join("NaN" if v != v or v == float("inf") else f"{v:.6g}" for v in values))
        blocks.append("\n".join(rows))
        if log:
            bottom, top = log_axis_range([getattr(r, key) for r in results])
            scale = f"set logscale y\nset yrange [{bottom:g}:{top:g}]"
        else:
            scale = "unset logscale y\nset yrange [0:*]"
        panels.append(PANEL.format(x=0.333 * (index % 3), y=0.45 if index < 3 else 0.02, title=panel_title,
                                   unit=unit, scale=scale, dat=dat_path, index=index, last=len(kinds) + 1))
    with open(dat_path, "w") as f:
        f.write("\n\n\n".join(blocks) + "\n")
    script = PLOT.format(png=png_path, title=title, panels="".join(panels), count=len(kinds), names=" ".join(kinds))
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def load_average():
    return float(read_text("/proc/loadavg").split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moltbot-supervisord", required=True)
    parser.add_argument("--tcp-child", required=True)
    parser.add_argument("--pm2", required=True)
    parser.add_argument("--ns", default="10,100,500", help="fleet sizes (default 10,100,500)")
    parser.add_argument("--supervisors", default=f"moltbot-supervisord,supervisord,s6,pm2,{NO_PROBE}",
                        help=f"comma-separated (default: all five); {NO_PROBE} is ours without the health "
                             "probe that none of the others has: a reference row, never marked best")
    parser.add_argument("--kills", type=int, default=20, help="kill -9 per fleet (default 20)")
    parser.add_argument("--idle-seconds", type=float, default=60, help="idle CPU window (default 60)")
    parser.add_argument("--settle-seconds", type=float, default=2, help="pause after start and after the kills")
    parser.add_argument("--poll-ms", type=float, default=0.2, help="connect poll interval after a kill")
    parser.add_argument("--kill-deadline", type=float, default=30, help="seconds until a restart counts as lost")
    parser.add_argument("--start-timeout", type=float, default=600)
    parser.add_argument("--base-port", type=int, default=24000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tmpdir", default=None)
    parser.add_argument("--out-dir", required=True, help="results.md and chart data go here")
    parser.add_argument("--png", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs (configs and logs)")
    args = parser.parse_args()
    # The supervisors run in their temp dirs: relative paths would not resolve there.
    args.tcp_child, args.moltbot_supervisord, args.pm2 = (
        os.path.realpath(p) for p in (args.tcp_child, args.moltbot_supervisord, args.pm2))
    ns = [int(n) for n in args.ns.split(",")]
    kinds = args.supervisors.split(",")
    if args.base_port + max(ns) * PORT_STRIDE > 32768:
        parser.error("the fleet must stay below port 32768 (the ephemeral range)")

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    os.makedirs(args.out_dir, exist_ok=True)
    load_before, began = load_average(), time.monotonic()
    results = []
    for n in ns:
        for kind in kinds:
            rng = random.Random(f"{args.seed}-{n}")  # the same children are killed under every supervisor
            print(f"# {kind}, N={n} ...", file=sys.stderr, flush=True)
            results.append(measure(kind, n, args, rng))
            print(markdown_table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    load_after, minutes = load_average(), (time.monotonic() - began) / 60

    table = markdown_table(results)
    footer = (f"\n{args.kills} kills per fleet, idle CPU over {args.idle_seconds:g} s; 1-min load average "
              f"{load_before:.2f} before, {load_after:.2f} after; {minutes:.1f} min in all. "
              f"Bold: best of the four supervisors at that N.\n")
    print(table + footer)
    with open(os.path.join(args.out_dir, "results.md"), "w") as f:
        f.write(table + footer)
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump([r.__dict__ for r in results], f, indent=1)
    write_chart(results, os.path.join(args.out_dir, "chart.dat"), args.png,
                f"N loopback TCP children under four supervisors ({args.kills} kills, "
                f"{args.idle_seconds:g} s idle, load {load_before:.1f}/{load_after:.1f})")
    print(f"chart: {args.png}", file=sys.stderr)


if __name__ == "__main__":
    main()
