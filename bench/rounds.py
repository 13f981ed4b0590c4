"""Interleaved timing: each round runs every command once, in an order that
rotates from round to round, so drift of a shared machine (other processes,
frequency, caches) hits all commands alike. hyperfine times one command after
the other, which is why it is only quoted next to these numbers.

Each run is a posix_spawn + wait4 timed with the monotonic clock; the spawn
cost of this runner is the same for every command and cancels out in the
overheads, which are differences against a baseline command.
"""

import os
import statistics
import time


def run_once(argv, env, stdout, stderr):
    """Wall time in ns of one run; raises if it does not exit 0."""
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(
        argv[0],
        argv,
        env,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, stdout, 1),
            (os.POSIX_SPAWN_DUP2, stderr, 2),
        ],
    )
    _, status, _ = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{argv} exited {code}")
    return t1 - t0


def interleaved(commands, rounds, warmup=20, env=None):
    """commands: {name: argv}. Returns {name: [ns per round]}.

    Output goes to /dev/null: the commands under test print nothing on
    success, and a terminal or pipe would add its own cost.
    """
    env = dict(os.environ if env is None else env)
    names = list(commands)
    times = {n: [] for n in names}
    null = os.open("/dev/null", os.O_WRONLY)
    try:
        for n in names:
            for _ in range(warmup):
                run_once(commands[n], env, null, null)
        for r in range(rounds):
            k = r % len(names)
            for n in names[k:] + names[:k]:
                times[n].append(run_once(commands[n], env, null, null))
    finally:
        os.close(null)
    return times


def median_us(samples):
    return statistics.median(samples) / 1000.0


def paired_overhead_us(times, name, base):
    """Median over rounds of (name - base) in the same round: the drift between
    rounds cancels, which a difference of two medians does not guarantee."""
    return statistics.median(a - b for a, b in zip(times[name], times[base])) / 1000.0
