"""CPU seconds by process group (web server, PostgreSQL, SMSC, load generator) over one phase of a benchmark.

On two shared cores a rate alone cannot tell a slower machine from a costlier code path; the CPU each process
spent per message can. Read from /proc while the phase runs (a thread samples every ``interval`` seconds), so a
process that starts during the phase, such as the PostgreSQL backend of a new connection, counts from its start.
A process that exits between two samples loses its last interval: stop the phase before stopping its processes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str) -> float | None:
    """User + system CPU seconds of a process so far, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def _command(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class ProcessCpu:
    """``with ProcessCpu({"PostgreSQL": lambda cmd: cmd.startswith("postgres")}) as cpu: ...`` then
    ``cpu.seconds["PostgreSQL"]``. A process belongs to the first group whose test accepts its command line."""

    def __init__(self, groups: dict[str, Callable[[str], bool]], interval: float = 0.5) -> None:
        self.groups = groups
        self.interval = interval
        self.seconds: dict[str, float] = dict.fromkeys(groups, 0.0)
        self._group: dict[str, str | None] = {}  # pid -> group, decided once per pid
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def _group_of(self, pid: str) -> str | None:
        if pid not in self._group:
            command = _command(pid)
            self._group[pid] = next((name for name, test in self.groups.items() if command and test(command)), None)
        return self._group[pid]

    def _sample(self, starting: bool) -> None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or self._group_of(pid) is None:
                continue
            cpu = cpu_seconds(pid)
            if cpu is None:
                continue
            self._first.setdefault(pid, cpu if starting else 0.0)
            self._last[pid] = cpu

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample(starting=False)

    def start(self) -> ProcessCpu:
        self._sample(starting=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(starting=False)
        for pid, last in self._last.items():
            group = self._group[pid]
            if group is not None:
                self.seconds[group] += last - self._first[pid]

    def __enter__(self) -> ProcessCpu:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def per(self, count: int, unit: float = 1e3, digits: int = 2) -> str:
        """Each group's CPU per item, e.g. "web 1.64, PostgreSQL 0.79" (ms with the default ``unit``)."""
        return ", ".join(f"{name} {self.seconds[name] * unit / max(count, 1):.{digits}f}" for name in self.groups)


class MachineTime:
    """How the whole machine's time went over one phase (/proc/stat, all CPUs): ``busy`` (not idle or
    waiting for I/O) and ``steal``, the share the hypervisor gave to other guests, both in % of the
    machine's time. On a virtual machine whose cores are shared with other guests, the same bare SMPP
    loop can run three times slower from one run to the next with a quarter of the time stolen: a rate or
    a ratio means little without the steal. ``MachineTime().start()`` … ``.stop()``."""

    def __init__(self) -> None:
        self._start: list[int] = []
        self.busy = 0.0
        self.steal = 0.0

    @staticmethod
    def _read() -> list[int]:
        """user nice system idle iowait irq softirq steal, in ticks of all CPUs so far (guest time, which
        follows, is already counted in user and nice)."""
        return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]

    def start(self) -> MachineTime:
        self._start = self._read()
        return self

    def stop(self) -> MachineTime:
        ticks = [now - then for now, then in zip(self._read(), self._start, strict=True)]
        total = max(sum(ticks), 1)
        self.busy = 100 * (total - ticks[3] - ticks[4]) / total
        self.steal = 100 * ticks[7] / total
        return self
