"""File helpers: atomic writes (outputs appear whole or not at all) and guarded reads.

Reads accept regular files only, and an ``.npz`` is read member by member, each checked from
its ``.npy`` header (dtype, declared size, frames) before any of its data is loaded.
"""
from __future__ import annotations

import contextlib
import math
import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .limits import MAX_ARRAY_BYTES, MAX_FPS, MAX_FRAMES, MAX_INPUT_BYTES

#: dtype kinds of real numbers: signed and unsigned integers, floats (no bool, complex, dates, text).
REAL_KINDS = "iuf"
_KIND_NAMES = {"b": "bool", "i": "int", "u": "uint", "f": "float", "c": "complex", "U": "text", "S": "bytes"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


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


def one_line(exc: BaseException) -> str:
    """``"Type: first line of the message"`` (at most 200 characters), for wrapping errors."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:200] if lines else ''}".rstrip(": ")


def _kinds(kinds: str) -> str:
    return "/".join(_KIND_NAMES.get(k, k) for k in kinds)


def as_real_array(value: Any, what: str, error: type[ValueError]) -> np.ndarray:
    """``value`` as an array of real numbers (int/uint/float), else ``error`` naming ``what`` and the dtype.

    Strings of digits, bools, complex numbers, dates and Python objects are refused rather
    than converted.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise error(f"{what} should be an array of real numbers ({one_line(exc)})") from None
    if array.dtype.kind not in REAL_KINDS:
        raise error(f"{what} should hold real numbers ({_kinds(REAL_KINDS)}), got dtype {array.dtype}")
    return array


def as_frame_rate(value: Any, what: str, error: type[ValueError]) -> float:
    """``value`` as a frame rate, a real number in ``(0, MAX_FPS]``; otherwise ``error`` naming ``what``."""
    if isinstance(value, (bool, str, bytes)) or np.ndim(value) != 0:
        raise error(f"{what} should be a positive number, got {value!r:.40}")
    try:
        fps = float(value)
    except (TypeError, ValueError):
        raise error(f"{what} should be a positive number, got {value!r:.40}") from None
    if not (math.isfinite(fps) and fps > 0):
        raise error(f"{what} should be a positive number, got {fps:g}")
    MAX_FPS.check(fps, what)
    return fps


def looks_like_npz(path: str) -> bool:
    """Whether ``path`` (a regular file) is meant as an ``.npz``: named so, or starting like a zip archive."""
    if path.lower().endswith(".npz"):
        return True
    with open(path, "rb") as handle:
        return handle.read(4) in _ZIP_MAGIC


def read_npy_header(handle: Any) -> tuple[tuple[int, ...], np.dtype]:
    """Declared ``(shape, dtype)`` of the ``.npy`` stream ``handle``, reading only its header."""
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
    else:
        raise ValueError(f".npy format version {version} is not supported")
    return shape, dtype


def check_declared(shape: tuple[int, ...], dtype: np.dtype, what: str, error: type[ValueError],
                   kinds: str | None = None, per_frame: bool = False) -> int:
    """Bytes an array of ``shape``/``dtype`` needs, after checking it against the limits.

    No Python objects; ``kinds`` (dtype kinds such as :data:`REAL_KINDS`) if given; at most
    ``MAX_ARRAY_BYTES``; with ``per_frame`` the leading axes (all but the last) hold at most
    ``MAX_FRAMES`` frames.
    """
    if dtype.hasobject or (kinds is not None and dtype.kind not in kinds):
        allowed = _kinds(kinds) if kinds is not None else "plain data"
        raise error(f"{what} should hold {allowed}, got dtype {dtype}")
    if per_frame and shape:
        MAX_FRAMES.check(math.prod(shape[:-1]) if len(shape) > 1 else shape[0], what)
    size = math.prod(shape) * dtype.itemsize
    MAX_ARRAY_BYTES.check(size, what)
    return size


def read_npy(path: str | os.PathLike, what: str, error: type[ValueError], kinds: str = REAL_KINDS,
             shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A ``.npy`` file (regular files only), its header checked (dtype ``kinds``, size, ``shape``) before loading."""
    source = require_regular_file(path, what)
    try:
        with open(source, "rb") as handle:
            declared, dtype = read_npy_header(handle)
    except (OSError, ValueError, SyntaxError) as exc:
        raise error(f"{source}: not a readable .npy file ({one_line(exc)})") from None
    check_declared(declared, dtype, f"{source}: {what}", error, kinds)
    if shape is not None and tuple(declared) != tuple(shape):
        raise error(f"{source}: {what} should have shape {list(shape)}, got {list(declared)}")
    try:
        return np.load(source, allow_pickle=False)
    except (OSError, ValueError) as exc:  # truncated data
        raise error(f"{source}: not a readable .npy file ({one_line(exc)})") from None


class NpzArchive:
    """An ``.npz`` read member by member, each checked from its ``.npy`` header first.

    Opening reads the zip directory and every member's header only: each member must be a
    plain ``.npy`` array (no pickled objects) declaring at most ``MAX_ARRAY_BYTES``, and all
    together at most ``MAX_INPUT_BYTES``. :meth:`load` checks dtype kinds and frame counts
    before reading a member's data. Malformed archives raise ``error`` (the caller's own
    ``ValueError`` type) with one line naming the file and member.
    """

    def __init__(self, path: str | os.PathLike, error: type[ValueError] = ValueError) -> None:
        self.source = require_regular_file(path, ".npz archive")
        self.error = error
        try:
            self._zip = zipfile.ZipFile(self.source)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise error(f"{self.source}: not a valid .npz (zip) archive ({one_line(exc)})") from None
        try:
            self._headers = self._read_headers()
        except BaseException:
            self._zip.close()
            raise

    def _read_headers(self) -> dict[str, tuple[tuple[int, ...], np.dtype, str]]:
        headers, total = {}, 0
        for info in self._zip.infolist():
            name = info.filename.removesuffix(".npy")
            label = f"{self.source}: member '{name}'"
            try:
                with self._zip.open(info) as member:
                    shape, dtype = read_npy_header(member)
            except Exception as exc:  # bad zip entry, not .npy, unparsable header
                raise self.error(f"{label} is not a readable .npy array ({one_line(exc)})") from None
            total += check_declared(shape, dtype, label, self.error)
            headers[name] = (shape, dtype, info.filename)
        MAX_INPUT_BYTES.check(total, self.source)
        return headers

    @property
    def files(self) -> list[str]:
        """Member names (without ``.npy``), as ``np.load`` lists them."""
        return list(self._headers)

    def shape(self, name: str) -> tuple[int, ...]:
        """Declared shape of member ``name`` (from its header)."""
        return self._headers[name][0]

    def load(self, name: str, kinds: str = REAL_KINDS, per_frame: bool = False) -> np.ndarray:
        """Member ``name`` after checking its declared dtype kind and (``per_frame``) frame count."""
        shape, dtype, member = self._headers[name]
        label = f"{self.source}: member '{name}'"
        check_declared(shape, dtype, label, self.error, kinds, per_frame)
        try:
            with self._zip.open(member) as handle:
                return np.lib.format.read_array(handle, allow_pickle=False)
        except Exception as exc:  # truncated or corrupt data, CRC mismatch
            raise self.error(f"{label} could not be read ({one_line(exc)})") from None

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
