"""Interleaved timing: each round runs every command once, in an order that
rotates from round to round, so drift of a shared machine (other processes,
frequency, caches) hits all commands alike. hyperfine times one command after
the other; its numbers are quoted next to these, not instead of them.

Each run is a posix_spawn + wait4 timed with the monotonic clock. The
runner's own spawn cost is the same for every command and cancels out of the
overheads, which are differences against a baseline command.
"""

import os
import random
import statistics
import time


class Command:
    def __init__(self, argv, env, ok=(0,)):
        self.argv = argv
        self.env = env
        self.ok = ok


def run_once(cmd, null, faults=None):
    """Wall time in ns of one run; raises on an unexpected exit status.
    `faults`, a list, gets the run's page faults (minor: the kernel mapped a
    page it had; major ones read the disk, and a warm run has none)."""
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(
        cmd.argv[0],
        cmd.argv,
        cmd.env,
        file_actions=[
            (os.POSIX_SPAWN_DUP2, null[0], 0),
            (os.POSIX_SPAWN_DUP2, null[1], 1),
            (os.POSIX_SPAWN_DUP2, null[1], 2),
        ],
    )
    _, status, usage = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    if faults is not None:
        faults.append(usage.ru_minflt + usage.ru_majflt)
    code = os.waitstatus_to_exitcode(status)
    if code not in cmd.ok:
        raise RuntimeError(f"{cmd.argv} exited {code}")
    return t1 - t0


def interleaved(commands, rounds, warmup=10, faults=None):
    """commands: {name: Command}. Returns {name: [ns of each round]}; with
    `faults`, a dict, also {name: [page faults of each round]} in it.

    Output goes to /dev/null: a terminal or pipe would add its own cost.
    """
    names = list(commands)
    times = {n: [] for n in names}
    null = (os.open("/dev/null", os.O_RDONLY), os.open("/dev/null", os.O_WRONLY))
    try:
        for _ in range(warmup):
            for n in names:
                run_once(commands[n], null)
        for r in range(rounds):
            k = r % len(names)
            for n in names[k:] + names[:k]:
                times[n].append(run_once(commands[n], null,
                                         None if faults is None else faults.setdefault(n, [])))
    finally:
        for fd in null:
            os.close(fd)
    return times


def median_us(samples):
    return statistics.median(samples) / 1000.0


def overhead_us(times, name, base):
    """Median over rounds of (name - base) within the same round: drift
    between rounds cancels, which a difference of two medians does not
    guarantee."""
    return statistics.median(a - b for a, b in zip(times[name], times[base])) / 1000.0


def ratio(times, name, base):
    """Median over rounds of name / base within the same round."""
    return statistics.median(a / b for a, b in zip(times[name], times[base]))


def bootstrap(times, stat, n=200, seed=1):
    """A 95% interval for stat(times), resampling whole rounds."""
    rounds_ = len(next(iter(times.values())))
    rng = random.Random(seed)
    vals = []
    for _ in range(n):
        idx = [rng.randrange(rounds_) for _ in range(rounds_)]
        vals.append(stat({k: [v[i] for i in idx] for k, v in times.items()}))
    vals.sort()
    return vals[int(0.025 * n)], vals[int(0.975 * n) - 1]
