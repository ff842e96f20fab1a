"""A restricted unpickler for FLAME model files and tracker outputs.

Pickles run code on load, and FLAME's files reference ``chumpy``, which no longer imports on
current numpy/Python. This unpickler admits only numpy/scipy array data and plain containers;
any other global (``os.system``, ``builtins.eval``, ...) is refused *before* it can be called,
with an error naming the file and the global.

Loading happens in two steps, so that a hostile file cannot make anything big:

1. Unpickling (Python's pure-Python unpickler, whose memo is a dict: the C one allocates a
   memo table as large as any index a ``PUT`` names) builds only containers, numbers, strings
   and stand-ins that record how numpy arrays and dtypes, chumpy objects and scipy sparse
   matrices were pickled. Nothing is allocated beyond what the file holds.
2. Conversion walks the result once per object, turning stand-ins into arrays. An array is
   built only from the raw bytes the file supplies, whose count must match its declared
   shape and dtype (no uninitialised memory, no object dtypes). The walk counts what a tree
   walk would reach (shared references counted each time) against ``MAX_PICKLE_ITEMS`` and
   ``MAX_INPUT_BYTES``, so exponentially shared lists are refused before anyone expands them.

Every failure is an :class:`UnsafePickleError` (or a ``LimitError``) with one line naming the file.
"""
from __future__ import annotations

import collections
import io
import math
import os
import pickle
import warnings
from typing import Any

import numpy as np
import scipy.sparse

from .io_utils import one_line, require_regular_file
from .limits import MAX_ARRAY_BYTES, MAX_INPUT_BYTES, MAX_PICKLE_ITEMS, LimitError

#: Containers nested deeper than this are refused (model and tracker pickles nest 3-4 deep).
MAX_DEPTH = 64
#: dtype kinds a pickled array may have: bool, numbers, text.
_ARRAY_KINDS = "biufcUS"
_SPARSE_FORMATS = ("csc", "csr", "coo")
_SPARSE_KEYS = {"csc": ("data", "indices", "indptr"), "csr": ("data", "indices", "indptr"), "coo": ("data", "row", "col")}


class UnsafePickleError(pickle.UnpicklingError, ValueError):
    """Raised when a pickle references something other than array data, or is malformed."""


class _Captured:
    """Stand-in for a pickled object whose arguments and state we read but whose class we never import."""

    kind = "object"
    args: tuple = ()
    state: Any = None

    def __init__(self, *args: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _ChumpyObject(_Captured):
    kind = "chumpy"


class _SparseMatrix(_Captured):
    kind = "sparse"
    format = "csc"


class _PendingArray(_Captured):
    """``numpy.ndarray``: its data arrives as the state ``(version, shape, dtype, is_fortran, rawdata)``."""

    kind = "ndarray"


class _PendingDtype(_Captured):
    """``numpy.dtype(typestr, align, copy)`` with state ``(version, byteorder, ...)``."""

    kind = "dtype"


class _BufferArray(_Captured):
    """``numpy._frombuffer(buf, dtype, shape, order[, axis_order])`` (protocol 5)."""

    kind = "ndarray"


class _Scalar(_Captured):
    """``numpy.core.multiarray.scalar(dtype, rawdata)``."""

    kind = "scalar"


class RestrictedUnpickler(pickle._Unpickler):  # pure Python: see the module docstring
    """Unpickler whose ``find_class`` admits array data only (see module docstring)."""

    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self.source = source
        self.allowed: dict[tuple[str, str], Any] = {
            ("numpy", "ndarray"): _PendingArray,
            ("numpy", "dtype"): _PendingDtype,
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("_codecs", "encode"): self._encode,  # how protocol-2 pickles from Python 3 store bytes
        }
        for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            self.allowed[(module, "_reconstruct")] = self._reconstruct
            self.allowed[(module, "scalar")] = _Scalar
        for module in ("numpy.core.numeric", "numpy._core.numeric"):
            self.allowed[(module, "_frombuffer")] = _BufferArray
        for module in ("copy_reg", "copyreg"):
            self.allowed[(module, "_reconstructor")] = self._reconstructor
            self.allowed[(module, "__newobj__")] = self._newobj
        for module in ("__builtin__", "builtins"):
            self.allowed.update({(module, "object"): object, (module, "set"): set, (module, "frozenset"): frozenset,
                                 (module, "complex"): complex, (module, "bytes"): self._empty_bytes})

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        if module == "chumpy" or module.startswith("chumpy."):
            return _ChumpyObject
        if module.startswith("scipy.sparse"):
            fmt = name.split("_")[0]
            if fmt in _SPARSE_FORMATS and name.endswith(("_matrix", "_array")):
                return type(name, (_SparseMatrix,), {"format": fmt})
        raise self._refuse(f"refusing to unpickle global '{module}.{name}': only numpy/scipy "
                           "array data and chumpy arrays are allowed in model and tracker pickles")

    def _refuse(self, message: str) -> UnsafePickleError:
        return UnsafePickleError(f"{self.source}: {message}")

    def _reconstruct(self, cls: Any, shape: Any = None, typecode: Any = None) -> _PendingArray:
        """``numpy.core.multiarray._reconstruct``: an array whose data must follow as state."""
        if cls is not _PendingArray:
            raise self._refuse("numpy _reconstruct called on something other than numpy.ndarray")
        return _PendingArray()

    def _reconstructor(self, cls: Any, base: Any = None, state: Any = None) -> _Captured:
        """``copy_reg._reconstructor`` limited to the stand-in classes (state follows by BUILD)."""
        if isinstance(cls, type) and issubclass(cls, _Captured):
            return cls()
        raise self._refuse("copy_reg._reconstructor called on something that is not array data")

    def _newobj(self, cls: Any, *args: Any) -> Any:
        """``copyreg.__newobj__`` limited to the stand-in classes and plain containers."""
        if isinstance(cls, type) and issubclass(cls, _Captured):
            return cls(*args)
        if cls in (object, set, frozenset, complex, collections.OrderedDict):
            return cls.__new__(cls, *args)
        raise self._refuse("copyreg.__newobj__ called on something that is not array data")

    def _encode(self, text: Any, encoding: Any = "latin1") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise self._refuse("_codecs.encode is allowed only for latin1 text (pickled bytes)")
        return text.encode("latin1")

    def _empty_bytes(self, *args: Any) -> bytes:
        if args:  # bytes(n) would allocate n bytes from a few in the file
            raise self._refuse("builtins.bytes is allowed only without arguments (pickled b'')")
        return b""


# ---------------------------------------------------------------------------- stand-ins -> arrays
def _dtype(obj: Any, source: str) -> np.dtype:
    """A pickled dtype stand-in as a plain numpy dtype (bool, number or text; no objects or records)."""
    if not (isinstance(obj, _PendingDtype) and obj.args and isinstance(obj.args[0], str)):
        raise UnsafePickleError(f"{source}: an array's dtype is not a pickled numpy dtype")
    dtype = np.dtype(obj.args[0])
    state = obj.state
    if state is not None:
        if not (isinstance(state, tuple) and len(state) >= 5 and state[1] in ("<", ">", "|", "=")
                and state[2:5] == (None, None, None)):
            raise UnsafePickleError(f"{source}: refusing a pickled dtype with fields or sub-arrays ({dtype})")
        if state[1] in ("<", ">") and dtype.byteorder != "|":
            dtype = dtype.newbyteorder(state[1])
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None or not dtype.itemsize:
        raise UnsafePickleError(f"{source}: refusing arrays of dtype {dtype}: only bool, numbers and text are allowed")
    return dtype


def _from_bytes(raw: Any, dtype: np.dtype, shape: Any, order: str, source: str, file_size: int) -> np.ndarray:
    """An array ``shape`` of ``dtype`` copied from ``raw`` (bytes, or latin1 text from Python 2).

    The declared size is checked against ``MAX_ARRAY_BYTES`` and the file size, and must equal
    the bytes supplied: an array without its data is refused.
    """
    if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise UnsafePickleError(f"{source}: a pickled array has an invalid shape")
    count = math.prod(shape)
    declared = count * dtype.itemsize
    MAX_ARRAY_BYTES.check(declared, source)
    if declared > file_size:
        raise UnsafePickleError(f"{source}: a pickled array {list(shape)} of {dtype} declares {declared:,} bytes, "
                                f"more than the whole file ({file_size:,} bytes)")
    data = raw.encode("latin1") if isinstance(raw, str) else raw
    if not isinstance(data, (bytes, bytearray)) or len(data) != declared:
        held = f"{len(data):,} bytes" if isinstance(data, (bytes, bytearray)) else f"a {type(data).__name__}"
        raise UnsafePickleError(f"{source}: a pickled array {list(shape)} of {dtype} needs {declared:,} bytes "
                                f"of data, the file holds {held}")
    return np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order=order).copy(order="K")


def _array_from_state(obj: _PendingArray, source: str, file_size: int) -> np.ndarray:
    state = obj.state
    if not (isinstance(state, tuple) and len(state) in (4, 5)):
        raise UnsafePickleError(f"{source}: a pickled numpy array comes without its data (it would be "
                                "uninitialised memory)")
    shape, dtype, fortran, raw = state[-4:]
    return _from_bytes(raw, _dtype(dtype, source), shape, "F" if fortran else "C", source, file_size)


def _array_from_buffer(obj: _BufferArray, source: str, file_size: int) -> np.ndarray:
    if obj.state is not None or len(obj.args) not in (4, 5) or obj.args[3] not in ("C", "F", "K"):
        raise UnsafePickleError(f"{source}: malformed numpy _frombuffer call")
    buf, dtype, shape, order = obj.args[:4]
    axes = obj.args[4] if len(obj.args) == 5 else None
    if order != "K" or axes is None:
        return _from_bytes(buf, _dtype(dtype, source), shape, "C" if order == "K" else order, source, file_size)
    if not (isinstance(axes, tuple) and sorted(axes) == list(range(len(shape)))):
        raise UnsafePickleError(f"{source}: malformed numpy _frombuffer axis order")
    return _from_bytes(buf, _dtype(dtype, source), shape, "C", source, file_size).transpose(axes).copy(order="K")


def _scalar(obj: _Scalar, source: str, file_size: int) -> Any:
    if obj.state is not None or len(obj.args) != 2:
        raise UnsafePickleError(f"{source}: malformed numpy scalar")
    return _from_bytes(obj.args[1], _dtype(obj.args[0], source), (), "C", source, file_size)[()]


def _numbers(value: Any, source: str, what: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biufc":
        raise UnsafePickleError(f"{source}: {what} should be numbers, got dtype {array.dtype}")
    return array


def _sparse(obj: _SparseMatrix, state: Any, source: str) -> Any:
    """A scipy sparse matrix from its state dict, fully checked (indices in range, dense size within limits)."""
    keys = _SPARSE_KEYS[obj.format]
    missing = [k for k in keys if not isinstance(state, dict) or k not in state]
    if not isinstance(state, dict) or "_shape" not in state and "shape" not in state:
        missing.append("_shape")
    if missing:
        raise UnsafePickleError(f"{source}: a pickled sparse {obj.format} matrix lacks {missing}")
    shape = state.get("_shape", state.get("shape"))
    if not (isinstance(shape, tuple) and len(shape) == 2 and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise UnsafePickleError(f"{source}: a pickled sparse matrix has an invalid shape")
    data, first, second = (_numbers(state[k], source, f"sparse matrix '{k}'") for k in keys)
    MAX_ARRAY_BYTES.check(shape[0] * shape[1] * data.dtype.itemsize, f"{source}: sparse matrix {list(shape)} as dense")
    if obj.format == "coo":
        return scipy.sparse.coo_matrix((data, (first, second)), shape=shape)  # checks the index range
    cls = scipy.sparse.csc_matrix if obj.format == "csc" else scipy.sparse.csr_matrix
    matrix = cls((data, first, second), shape=shape)
    matrix.check_format(full_check=True)  # indices in range, indptr monotonic: toarray() trusts both
    return matrix


def _chumpy(obj: _ChumpyObject, state: Any, source: str) -> np.ndarray:
    if isinstance(state, dict) and "x" in state:
        return _numbers(state["x"], source, "chumpy 'x'")
    if isinstance(state, dict) and "a" in state and "idxs" in state:  # chumpy.reordering.Select
        selected = _numbers(state["a"], source, "chumpy 'a'").ravel()[_numbers(state["idxs"], source, "chumpy 'idxs'").ravel()]
        shape = state.get("preferred_shape")
        return selected.reshape(shape) if shape is not None else selected
    keys = sorted(map(str, state)) if isinstance(state, dict) else type(state).__name__
    raise UnsafePickleError(f"{source}: cannot turn a pickled {obj.kind} object (state {keys}) into an array")


class _Walk:
    """Converts an unpickled tree once per object, counting what a tree walk would reach.

    ``convert`` returns ``(value, items, bytes)``: the converted value (shared references stay
    shared) and the items and array bytes below it, a shared object counted each time it is
    reached. Those totals are checked against ``MAX_PICKLE_ITEMS`` / ``MAX_INPUT_BYTES`` at
    every container, so an exponential expansion is refused at its first level over a limit.
    """

    def __init__(self, source: str, file_size: int) -> None:
        self.source, self.file_size = source, file_size
        self.max_items, self.max_bytes = MAX_PICKLE_ITEMS.value(), MAX_INPUT_BYTES.value()
        self.done: dict[int, tuple[Any, int, int]] = {}
        self.active: set[int] = set()

    def convert(self, obj: Any, depth: int = 0) -> tuple[Any, int, int]:
        if isinstance(obj, (str, bytes, bytearray)):
            return obj, 1, len(obj)
        if not isinstance(obj, (dict, list, tuple, set, frozenset, _Captured)):
            return obj, 1, 0
        key = id(obj)
        if key in self.done:
            return self.done[key]
        if key in self.active:
            raise UnsafePickleError(f"{self.source}: the pickle contains a reference cycle")
        if depth > MAX_DEPTH:
            raise UnsafePickleError(f"{self.source}: containers nested deeper than {MAX_DEPTH} levels")
        self.active.add(key)
        try:
            result = self._captured(obj, depth) if isinstance(obj, _Captured) else self._container(obj, depth)
        finally:
            self.active.discard(key)
        self.done[key] = result
        return result

    def _count(self, items: int, nbytes: int) -> None:
        if items > self.max_items:
            MAX_PICKLE_ITEMS.check(items, self.source)
        if nbytes > self.max_bytes:
            MAX_INPUT_BYTES.check(nbytes, self.source)

    def _container(self, obj: Any, depth: int) -> tuple[Any, int, int]:
        items, nbytes, parts = 1, 0, []
        for child in (x for pair in obj.items() for x in pair) if isinstance(obj, dict) else obj:
            value, child_items, child_bytes = self.convert(child, depth + 1)
            items, nbytes = items + child_items, nbytes + child_bytes
            self._count(items, nbytes)
            parts.append(value)
        if isinstance(obj, dict):
            pairs = zip(parts[::2], parts[1::2])
            return (collections.OrderedDict(pairs) if isinstance(obj, collections.OrderedDict) else dict(pairs)), items, nbytes
        return (parts if isinstance(obj, list) else type(obj)(parts)), items, nbytes

    def _captured(self, obj: _Captured, depth: int) -> tuple[Any, int, int]:
        try:
            if isinstance(obj, (_ChumpyObject, _SparseMatrix)):
                state, items, _ = self.convert(obj.state, depth + 1)
                value = (_chumpy if isinstance(obj, _ChumpyObject) else _sparse)(obj, state, self.source)
            else:
                items = 1
                build = {_PendingArray: _array_from_state, _BufferArray: _array_from_buffer, _Scalar: _scalar}.get(type(obj))
                value = build(obj, self.source, self.file_size) if build else _dtype(obj, self.source)
        except (UnsafePickleError, LimitError):
            raise
        except Exception as exc:  # IndexError from chumpy indices, ValueError from scipy's checks, ...
            raise UnsafePickleError(f"{self.source}: cannot turn a pickled {obj.kind} into an array ({one_line(exc)})") from None
        nbytes = value.data.nbytes if scipy.sparse.issparse(value) else getattr(value, "nbytes", 0)
        self._count(items, nbytes)
        return value, items, nbytes

    def top(self, raw: Any, strict: bool) -> Any:
        """The converted tree; with ``strict=False`` a top-level dict entry that fails is skipped with a warning."""
        if strict or not isinstance(raw, dict):
            return self.convert(raw)[0]
        converted, items, nbytes = {}, 1, 0
        for key, value in raw.items():
            try:
                converted[key], child_items, child_bytes = self.convert(value, 1)
            except UnsafePickleError as exc:
                warnings.warn(f"{self.source}: skipping key '{key}': {exc}", stacklevel=3)
                continue
            items, nbytes = items + 1 + child_items, nbytes + child_bytes
            self._count(items, nbytes)
        return converted


def load_pickle(path: str | os.PathLike, strict: bool = True) -> Any:
    """Load a pickle of arrays without executing code. ``chumpy`` objects become ndarrays.

    With ``strict=False`` a top-level dict entry that is array-like but cannot be turned
    into an array (an unknown chumpy operation, say) is skipped with a warning instead of
    failing the whole file; disallowed globals and limits are enforced either way.
    """
    source = require_regular_file(path, "pickle")
    with open(source, "rb") as handle:
        data = handle.read()
    try:
        raw = RestrictedUnpickler(io.BytesIO(data), source).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # truncated or corrupt file
        raise UnsafePickleError(f"{source}: not a readable pickle ({one_line(exc)})") from exc
    try:
        return _Walk(source, len(data)).top(raw, strict)
    except (UnsafePickleError, LimitError):
        raise
    except (TypeError, ValueError, RecursionError, MemoryError) as exc:  # e.g. an array as a dict key
        raise UnsafePickleError(f"{source}: cannot turn the pickled data into arrays ({one_line(exc)})") from None
