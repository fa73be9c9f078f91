"""Limits on one step's work: CPU time (soft and hard), memory, and a total budget for a file.

Two layers, both counting **CPU time**, so that a step gets the same verdict on an idle machine and on a
busy one (wall-clock time depends on the load; the CPU time a computation needs hardly does):

* **Soft**, in the process: :func:`time_limit` raises :class:`StepTimeout` once the process has used the
  given CPU seconds (``ITIMER_PROF`` / ``SIGPROF``). ``StepTimeout`` is a ``BaseException``, so an
  ``except Exception`` in SymPy or in our code does not swallow it; once the limit is past it is raised again
  every :data:`_REPEAT` CPU seconds until the ``with`` block is left (a bare ``except:`` that swallows it
  once is not enough to outlive the limit). It works on the main thread only, and it cannot stop work inside
  one long C call that does not check for signals: the signal is handled between bytecodes.
* **Hard**, in a worker process (:class:`Pool`): the step runs in a worker forked from the parent after the
  imports (start-up is cheap, caches are warm). The parent polls the worker's CPU time (``utime + stime``
  from ``/proc/<pid>/stat``) and kills it with ``SIGKILL`` as the task's CPU limit is reached (a little
  before, :func:`_kill_at`, so that it has stopped by then); the worker is replaced and the step reported as
  stopped. Nothing the step computes can outlive that. Inside the worker a soft limit at :data:`SOFT_SHARE`
  of the hard one is set as well, so that Python-level work usually ends with an ordinary ``StepTimeout``
  first. ``RLIMIT_CPU`` is set as a further backstop in case the parent stops polling (or has no ``/proc``).
  A worker that raised StepTimeout or MemoryError is replaced after its task (the exception may have
  interrupted some clean-up).

Memory: each worker's address space is capped (``RLIMIT_AS``: what it inherited from the parent plus
:data:`MEMORY_LIMIT`); an allocation past it raises ``MemoryError`` in the step, which is reported as not
checked, and the worker is replaced.

A wall-clock limit exists only as a safety net against a worker that makes no progress (stopped, or blocked
in a system call): :data:`WALL_FACTOR` times the CPU limit plus :data:`WALL_EXTRA` seconds. It never decides
a step that is computing.

A :class:`Budget` is a total of CPU seconds for a file. Steps run in parallel, but the budget is charged in
file order: step k is not checked when the CPU used by steps 0..k-1 reaches the budget (a step already
started speculatively past that point is stopped and its result dropped), so the cut does not depend on
which worker finished first.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

__all__ = ["StepTimeout", "time_limit", "remaining", "Task", "Outcome", "Budget", "Pool", "run_inline", "run_tasks",
           "default_pool", "MEMORY_LIMIT", "WALL_FACTOR", "WALL_EXTRA", "SOFT_SHARE", "cpu_count"]


class StepTimeout(BaseException):
    """A step's CPU time limit was reached. A ``BaseException``, so that ``except Exception`` (in SymPy, or in
    code that turns any failure into "not checked") does not swallow it."""

    def __init__(self, seconds: float):
        super().__init__(f"time limit of {seconds:g} s CPU exceeded")
        self.seconds = seconds


# ---------------------------------------------------------------------------------------------------------
# the soft limit: SIGPROF after the process has used the CPU seconds

#: Once a limit is past, StepTimeout is raised again every this many CPU seconds until the block is left.
_REPEAT = 0.05
#: Open limits, innermost last: (deadline in process CPU seconds, seconds).
_deadlines: list[tuple[float, float]] = []
_previous_handler: Any = None
#: How many times StepTimeout was raised in this process (a worker that raised one is replaced after its task:
#: an exception raised at an arbitrary point may have interrupted some clean-up).
_raised = 0


def _cpu() -> float:
    return time.process_time()


def _on_prof(signum, frame) -> None:
    if not _deadlines:
        return
    now = _cpu()
    expired = [entry for entry in _deadlines if entry[0] <= now]
    if expired:
        global _raised
        _raised += 1
        raise StepTimeout(min(expired)[1])
    _arm()  # the interval timer fired a little early: wait for the rest


def _arm() -> None:
    if not _deadlines:
        signal.setitimer(signal.ITIMER_PROF, 0)
        return
    left = min(d for d, _ in _deadlines) - _cpu()
    signal.setitimer(signal.ITIMER_PROF, max(left, 1e-4), _REPEAT)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`StepTimeout` once the block has used ``seconds`` of CPU time (the process's user + system
    time). Limits nest: the earliest deadline fires (an inner block that outlives an outer deadline gets the
    outer's StepTimeout). Main thread only; elsewhere (and for ``seconds`` None or 0) no limit is enforced."""
    global _previous_handler
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return
    if not _deadlines:
        _previous_handler = signal.signal(signal.SIGPROF, _on_prof)
    entry = (_cpu() + seconds, seconds)
    _deadlines.append(entry)
    _arm()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        _deadlines.remove(entry)
        if _deadlines:
            _arm()  # an outer deadline already past fires at once in the outer code
        else:
            signal.signal(signal.SIGPROF, _previous_handler or signal.SIG_DFL)
            _previous_handler = None


def remaining() -> float | None:
    """CPU seconds left before the earliest open soft limit of this process (None if there is none)."""
    if not _deadlines:
        return None
    return min(d for d, _ in _deadlines) - _cpu()


# ---------------------------------------------------------------------------------------------------------
# tasks and outcomes

#: What a worker may allocate beyond the address space it inherits: 4 GiB, or less on a small machine (a share of
#: the RAM per worker; at least 1 GiB).
def _memory_limit() -> int | None:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 4 << 30
    return max(1 << 30, min(4 << 30, total // (cpu_count() + 1)))


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


MEMORY_LIMIT = _memory_limit()
#: Inside a worker, the soft limit sits at this share of the task's hard limit.
SOFT_SHARE = 0.9
#: The wall-clock safety net (a worker that makes no progress): WALL_FACTOR x the CPU limit + WALL_EXTRA s.
WALL_FACTOR = 10.0
WALL_EXTRA = 5.0
#: Seconds between two looks at the running workers' CPU time (at most; sooner when a limit is near).
POLL = 0.05


def _kill_at(seconds: float) -> float:
    """The CPU time at which a task with a hard limit of ``seconds`` is killed: a little before it (5 %, at most
    0.1 s), so that with the polling and the kernel's 10 ms accounting it has stopped by ``seconds``."""
    return seconds - min(0.1, 0.05 * seconds)


@dataclass(frozen=True)
class Task:
    """``function(*args, **kwargs)`` with a hard limit of ``seconds`` CPU (None: no limit). The function and
    its arguments are sent to a worker by pickle (a module-level function is sent by name)."""

    function: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    seconds: float | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of a task. ``kind``: "ok" (``value`` holds the result), "error" (it raised: ``message``),
    "timeout" (the soft limit ended it), "killed" (the worker was stopped at the hard limit), "memory"
    (MemoryError), "died" (the worker ended unexpectedly: ``message`` says how), "wall" (stopped by the
    wall-clock safety net), "budget" (not run: the file's budget was used up)."""

    kind: str
    value: Any = None
    message: str = ""
    cpu: float = 0.0
    wall: float = 0.0
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def reason(self, budget: float | None = None) -> str:
        """A one-line reason for a step that has no result, for the "not checked" message."""
        limit = f"{self.seconds:g} s CPU" if self.seconds else "the CPU limit"
        if self.kind == "timeout":
            return f"time limit of {limit} exceeded"
        if self.kind == "killed":
            return f"time limit of {limit} exceeded (hard limit: the worker was stopped)"
        if self.kind == "memory":
            cap = f" of {MEMORY_LIMIT / (1 << 30):.3g} GiB" if MEMORY_LIMIT else ""
            return f"memory limit{cap} exceeded (MemoryError)"
        if self.kind == "died":
            return f"the worker stopped unexpectedly ({self.message})"
        if self.kind == "wall":
            return (f"the worker made no progress for {self.wall:.0f} s of wall-clock time "
                    f"(safety net; it was stopped)")
        if self.kind == "budget":
            return f"file time budget ({budget:g} s CPU) used up" if budget else "file time budget used up"
        if self.kind == "error":
            return self.message
        return "no result"


class Budget:
    """A total of CPU seconds (None: unlimited), charged by :meth:`Pool.map` in task order."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.used = 0.0

    @property
    def exhausted(self) -> bool:
        return self.seconds is not None and self.used >= self.seconds


def _call(task: Task, soft: float | None) -> tuple[str, Any, str]:
    """Run the task under a soft limit: (kind, value, message)."""
    try:
        with time_limit(soft):
            return "ok", task.function(*task.args, **task.kwargs), ""
    except StepTimeout:
        return "timeout", None, ""
    except MemoryError:
        return "memory", None, ""
    except RecursionError:
        return "error", None, "RecursionError: the recursion limit was hit"
    except Exception as exc:
        return "error", None, f"{type(exc).__name__}: {exc}"


def run_inline(task: Task) -> Outcome:
    """The task in this process, under the soft limit only (at :data:`SOFT_SHARE` of its limit, as in a worker;
    no hard limit, no memory cap)."""
    begin, wall = _cpu(), time.perf_counter()
    kind, value, message = _call(task, task.seconds * SOFT_SHARE if task.seconds else None)
    return Outcome(kind, value, message, _cpu() - begin, time.perf_counter() - wall, task.seconds)


def run_tasks(tasks: Sequence[Task], pool: Pool | None = None, budget: Budget | None = None) -> list[Outcome]:
    """The outcomes of the tasks in order: in the pool's workers (:meth:`Pool.map`), or with ``pool`` None one
    after the other in this process (:func:`run_inline`), with the same budget rule."""
    if pool is not None:
        return pool.map(tasks, budget)
    outcomes = []
    for task in tasks:
        if budget is not None and budget.exhausted:
            outcomes.append(Outcome("budget", seconds=task.seconds))
            continue
        outcome = run_inline(task)
        if budget is not None:
            budget.used += outcome.cpu
        outcomes.append(outcome)
    return outcomes


# ---------------------------------------------------------------------------------------------------------
# workers

#: Objects the parent shares with workers forked after :meth:`Pool.share` (by key; inherited, not pickled).
_SHARED: dict[int, Any] = {}


def shared(key: int) -> Any:
    """In a worker: the object the parent shared under ``key`` before forking it."""
    return _SHARED[key]


def _cpu_of(pid: int) -> float | None:
    """utime + stime of a process, in seconds (None if /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


try:
    _TICKS = os.sysconf("SC_CLK_TCK")
except (ValueError, OSError, AttributeError):
    _TICKS = 100


def _worker_main(conn, memory: int | None, close: list) -> None:
    """A worker: receive a task, run it under the soft limit, send back (kind, value, message, cpu); repeat.
    Exits when the parent goes away, and after a MemoryError (the next task gets a fresh worker)."""
    for other in close:
        other.close()
    import gc

    gc.freeze()  # what the worker inherited is never scanned by its collector (fewer copy-on-write page copies)
    _deadlines.clear()  # soft limits open in the parent at the fork are not this worker's
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's; it stops the workers
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    if memory:  # room for ``memory`` bytes more than the address space inherited from the parent
        try:
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            with open("/proc/self/statm") as statm:
                inherited = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            cap = inherited + memory
            resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
        except (ValueError, OSError):
            pass
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:  # a backstop should the parent stop polling: SIGXCPU a second or two past the hard limit
            _, hard = resource.getrlimit(resource.RLIMIT_CPU)
            soft = math.ceil(_cpu() + task.seconds) + 1 if task.seconds else hard
            if hard == resource.RLIM_INFINITY or soft <= hard:
                resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        except (ValueError, OSError):
            pass
        begin, raised = _cpu(), _raised
        kind, value, message = _call(task, task.seconds * SOFT_SHARE if task.seconds else None)
        cpu = _cpu() - begin
        retire = kind in ("memory", "timeout") or _raised != raised  # a fresh worker for the next task
        try:
            conn.send((kind, value, message, cpu, retire))
        except MemoryError:
            conn.send(("memory", None, "", cpu, True))
            retire = True
        except Exception as exc:  # a result that does not pickle
            conn.send(("error", None, f"the result could not be sent back: {type(exc).__name__}: {exc}", cpu,
                       retire))
        if retire:
            os._exit(0)


class _Worker:
    def __init__(self, pool: Pool):
        import multiprocessing as mp

        context = mp.get_context("fork")
        self.conn, child = context.Pipe(duplex=True)
        others = [w.conn for w in pool._workers if w.conn is not None]
        self.process = context.Process(target=_worker_main, args=(child, pool.memory, others), daemon=True,
                                       name="gaussproof-worker")
        self.process.start()
        child.close()
        self.generation = pool._generation
        self.task: tuple | None = None  # (index, task, cpu at start, wall at start)

    def cpu(self) -> float | None:
        return _cpu_of(self.process.pid)

    def stop(self) -> None:
        try:
            self.process.kill()
        except (OSError, AttributeError, ValueError):
            pass
        self.process.join(5)
        self.conn.close()
        self.conn = None

    def death(self) -> str:
        self.process.join(1)
        code = self.process.exitcode
        if code is None:
            return "no exit status"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            extra = " (RLIMIT_CPU backstop)" if -code == signal.SIGXCPU else ""
            return f"killed by {name}{extra}"
        return f"exit status {code}"


class Pool:
    """Persistent worker processes (one per core by default), forked from this process when first needed.

    :meth:`map` runs tasks in parallel and returns their outcomes in task order. A task that uses up its CPU
    limit is stopped with ``SIGKILL`` and its worker replaced; so is one that dies. Workers are replaced too
    when the parent has shared a new object (:meth:`share`) since they were forked."""

    def __init__(self, workers: int | None = None, memory: int | None = MEMORY_LIMIT):
        self.size = max(1, workers or cpu_count())
        self.memory = memory
        self._workers: list[_Worker] = []
        self._generation = 0

    # lifecycle
    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def share(self, obj: Any) -> int:
        """Make ``obj`` available to workers (as :func:`shared` of the returned key): workers forked before are
        replaced at the next :meth:`map`. For objects that must not be pickled (they would not come back
        equal, e.g. SymPy expressions built with ``evaluate=False``)."""
        key = id(obj)
        if _SHARED.get(key) is not obj:
            _SHARED[key] = obj
            self._generation += 1
        return key

    def unshare(self, key: int) -> None:
        _SHARED.pop(key, None)

    def _fresh(self) -> None:
        """Workers up to the pool's size, none older than the last share."""
        for worker in [w for w in self._workers if w.generation != self._generation and w.task is None]:
            worker.stop()
            self._workers.remove(worker)
        while len(self._workers) < self.size:
            self._workers.append(_Worker(self))

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        self._workers.remove(worker)

    # running
    def map(self, tasks: Sequence[Task], budget: Budget | None = None) -> list[Outcome]:
        """The outcome of every task, in order. With a ``budget``, task k is not run (kind "budget") once the
        CPU of tasks before it reaches the budget; what the counted tasks used is added to ``budget.used``."""
        outcomes: list[Outcome | None] = [None] * len(tasks)
        pending = deque(range(len(tasks)))
        cut = len(tasks)  # tasks from here on are over budget

        prefix = [0, budget.used if budget is not None else 0.0]  # tasks 0..k-1 are done and used this much

        def charge_prefix() -> int:
            """The first index whose predecessors used the budget up (len(tasks) if none, or not known yet)."""
            if budget is None or budget.seconds is None:
                return len(tasks)
            while prefix[0] < len(tasks):
                if prefix[1] >= budget.seconds:
                    return prefix[0]
                if outcomes[prefix[0]] is None:
                    return len(tasks)
                prefix[1] += outcomes[prefix[0]].cpu
                prefix[0] += 1
            return len(tasks)

        try:
            while True:
                cut = min(cut, charge_prefix())
                for worker in list(self._workers):  # speculative tasks past the cut are dropped
                    if worker.task is not None and worker.task[0] >= cut:
                        worker.task = None
                        self._replace(worker)
                while pending and pending[0] >= cut:
                    pending.popleft()
                running = [w for w in self._workers if w.task is not None]
                if pending and len(running) < self.size:
                    self._fresh()
                    for worker in list(self._workers):
                        if worker.task is None and pending:
                            index = pending.popleft()
                            worker.task = (index, tasks[index], worker.cpu(), time.perf_counter())
                            try:
                                worker.conn.send(tasks[index])
                            except OSError:  # the worker has gone away meanwhile: another one takes the task
                                worker.task = None
                                self._replace(worker)
                                pending.appendleft(index)
                                break
                    running = [w for w in self._workers if w.task is not None]
                if not running:
                    break
                self._wait(running, outcomes)
        except BaseException:
            for worker in list(self._workers):
                if worker.task is not None:
                    worker.task = None
                    self._replace(worker)
            raise
        counted = budget.used if budget is not None else 0.0
        for k in range(len(tasks)):
            if k >= cut or outcomes[k] is None:
                outcomes[k] = Outcome("budget", seconds=tasks[k].seconds)
            else:
                counted += outcomes[k].cpu
        if budget is not None:
            budget.used = counted
        return outcomes  # type: ignore[return-value]

    def _wait(self, running: list[_Worker], outcomes: list) -> None:
        from multiprocessing.connection import wait

        # no worker can use more CPU than wall time: wake up when the nearest limit could be reached
        nearest = POLL
        for worker in running:
            index, task, start_cpu, _ = worker.task
            used = (worker.cpu() or 0.0) - (start_cpu or 0.0)
            if task.seconds:
                nearest = min(nearest, max(0.005, _kill_at(task.seconds) - used))
        ready = wait([w.conn for w in running], timeout=nearest)
        for worker in running:
            index, task, start_cpu, start_wall = worker.task
            wall = time.perf_counter() - start_wall
            if worker.conn in ready:
                retire = False
                try:
                    kind, value, message, cpu, retire = worker.conn.recv()
                except (EOFError, OSError):
                    outcomes[index] = Outcome("died", None, worker.death(), self._used(worker, start_cpu, task),
                                              wall, task.seconds)
                    worker.task = None
                    self._replace(worker)
                    continue
                except Exception as exc:  # a result that does not unpickle here
                    kind, value, message, cpu = "error", None, f"{type(exc).__name__}: {exc}", 0.0
                outcomes[index] = Outcome(kind, value, message, cpu, wall, task.seconds)
                worker.task = None
                if retire:
                    self._replace(worker)
                continue
            if task.seconds:
                used = self._used(worker, start_cpu, task)
                if used >= _kill_at(task.seconds):
                    outcomes[index] = Outcome("killed", None, "", used, wall, task.seconds)
                    worker.task = None
                    self._replace(worker)
                elif wall > WALL_FACTOR * task.seconds + WALL_EXTRA:
                    outcomes[index] = Outcome("wall", None, "", used, wall, task.seconds)
                    worker.task = None
                    self._replace(worker)

    @staticmethod
    def _used(worker: _Worker, start_cpu: float | None, task: Task) -> float:
        now = worker.cpu()
        if now is None or start_cpu is None:  # no /proc: the worker's RLIMIT_CPU backstop stops it
            return 0.0
        return now - start_cpu


_default: Pool | None = None


def default_pool() -> Pool:
    """The process's shared pool (one worker per core), closed at exit."""
    global _default
    if _default is None:
        import atexit

        _default = Pool()
        atexit.register(_default.close)
    return _default
