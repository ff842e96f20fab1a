"""Atomic file writes: outputs appear whole or not at all."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_savez(path: str | os.PathLike, arrays: dict[str, np.ndarray], compressed: bool = True) -> None:
    """``np.savez(_compressed)`` to ``path`` atomically (no pickled objects)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            (np.savez_compressed if compressed else np.savez)(handle, **arrays)


def require_regular_file(path: str | os.PathLike, what: str = "file") -> str:
    """``path`` as a string if it is an existing regular file (symlinks to one are fine).

    Directories, FIFOs, devices (``/dev/stdin``) and sockets are refused with one line, so a
    read can never block forever or read something that is not a file.
    """
    source = os.fspath(path)
    try:
        mode = os.stat(source).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{source}: {what} not found") from None
    except OSError as exc:
        raise OSError(f"{source}: cannot read {what} ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{source}: is a folder; expected a {what}")
    if not stat.S_ISREG(mode):
        raise OSError(f"{source}: not a regular file (a device, FIFO or socket); expected a {what}")
    return source
