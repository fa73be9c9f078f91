"""Writing an output file atomically: the one writer behind ``gaussproof sheet -o PATH`` and
``gaussproof plot ... -o PATH`` / ``gaussproof fit --plot PATH``.

:func:`check_target` says, before any work, whether a path can take an output file; :func:`write_atomically`
writes a temporary file in the target's directory and renames it onto the target with ``os.replace``, so a
reader sees the old file or the new one, never part of one, and a failure leaves no file behind.

- Only a regular file is ever replaced. A device node, FIFO or socket (``/dev/null``, ``/dev/zero``, a FIFO
  made with ``mkfifo``) is refused: renaming onto ``/dev/null`` as root would delete the device node, and
  opening a FIFO blocks until a reader comes. Nothing is ever opened at the path itself, so nothing hangs.
- A symlink is written through, as ``echo text > link`` does: the file it points to is replaced and the
  link is kept (a dangling link creates its target). A symlink to a device or FIFO is refused like the
  device itself.
- An existing file keeps its permission bits (read, write, execute for user, group and others; setuid,
  setgid and sticky bits are dropped, as a write to the file would drop them); a new file gets the mode of
  any new file, 0o666 less the umask (the kernel applies the umask when the temporary file is created).
  The owner, group, ACLs and extended attributes of an existing file are not copied, and other hard links
  to it keep the old contents.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import Callable

__all__ = ["OutputFileError", "check_target", "write_atomically"]


class OutputFileError(ValueError):
    """An output file cannot be written; the message is one line naming the path as the user gave it."""


def check_target(path: str | os.PathLike) -> Path:
    """The file that writing ``path`` creates or replaces: ``path`` with its symlinks resolved.

    OutputFileError naming ``path`` if it is a directory, a device node, FIFO or socket (or a symlink to
    one), or if its directory does not exist or is not writable. Only looks at the path (``stat``); never
    opens it.
    """
    shown = os.fspath(path)
    real = Path(os.path.realpath(shown))
    linked = real != Path(os.path.abspath(shown))
    directory = real.parent if linked else Path(shown).parent
    if not real.parent.is_dir():
        problem = f"{directory} is not a directory" if real.parent.exists() else f"directory {directory} does not exist"
        raise OutputFileError(f"cannot write {shown}: {problem}")
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # a symlink loop, a directory that cannot be searched
        raise OutputFileError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputFileError(f"cannot write {shown}: it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        via = f" ({shown} resolves to {real})" if linked else ""
        raise OutputFileError(f"cannot write {shown}: not a regular file; give a path to a regular file{via}")
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise OutputFileError(f"cannot write {shown}: directory {directory} is not writable")
    return real


def _temporary_beside(target: Path) -> tuple[str, int]:
    """A new empty file in ``target``'s directory, private (0o600) while it is written, and the permission
    bits the output gets: those of ``target`` if it exists, else the mode the kernel gave a new file."""
    for _ in range(100):
        name = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
        try:
            try:
                mode = os.stat(target).st_mode
            except FileNotFoundError:
                mode = os.fstat(handle).st_mode  # 0o666 less the umask (and any default ACL)
            os.fchmod(handle, 0o600)
        except BaseException:
            os.close(handle)
            os.unlink(name)
            raise
        os.close(handle)
        return name, stat.S_IMODE(mode) & 0o777
    raise FileExistsError(f"no unused temporary file name in {target.parent}")


def write_atomically(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Write the output file ``path``: ``write(temporary)`` writes the whole content to the temporary path it
    is given, then the temporary file is flushed to disk, given its mode and renamed onto the target (see the
    module docstring for devices, symlinks and modes). Returns the file written (symlinks resolved).

    OutputFileError naming ``path`` for a target :func:`check_target` refuses and for any OSError; the
    temporary file never outlives the call.
    """
    shown = os.fspath(path)
    target = check_target(path)
    temporary = None
    try:
        temporary, mode = _temporary_beside(target)
        write(temporary)
        handle = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
        os.chmod(temporary, mode)
        check_target(path)  # once more: a sheet takes a minute, and the path may have changed meanwhile
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise OutputFileError(f"cannot write {shown}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return target
