"""A restricted unpickler for FLAME model files and tracker outputs.

Pickles run code on load, and FLAME's files reference ``chumpy``, which no longer imports on
current numpy/Python. This unpickler admits only numpy/scipy array data and plain containers;
``chumpy`` objects become numpy arrays and scipy sparse matrices are rebuilt from their
arrays. Any other global (``os.system``, ``builtins.eval``, ...) is refused *before* it can be
called, with an error naming the file and the global.
"""
from __future__ import annotations

import codecs
import collections
import copyreg
import io
import os
import pickle
import warnings
from typing import Any

import numpy as np
import scipy.sparse


class UnsafePickleError(pickle.UnpicklingError):
    """Raised when a pickle references something other than array data."""


class _Captured:
    """Stand-in for a pickled object whose state we read but whose class we never import."""

    kind = "object"

    def __init__(self, *args: Any) -> None:
        self.args = args
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _ChumpyObject(_Captured):
    kind = "chumpy"


class _SparseMatrix(_Captured):
    kind = "sparse"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.format = "csc"


def _reconstructor(cls: type, base: type, state: Any) -> Any:
    """``copy_reg._reconstructor`` limited to the stand-in classes and ndarray."""
    if isinstance(cls, type) and issubclass(cls, _Captured):
        return cls()
    if cls is np.ndarray:
        return np.ndarray.__new__(cls, state) if state is not None else np.ndarray.__new__(cls, (0,))
    raise UnsafePickleError(f"copy_reg._reconstructor called on {cls!r}, which is not array data")


_NUMPY_CORE = np._core.multiarray  # numpy >= 2 name; old pickles say numpy.core
_ALLOWED: dict[tuple[str, str], Any] = {}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_mod, "_reconstruct")] = _NUMPY_CORE._reconstruct
    _ALLOWED[(_mod, "scalar")] = _NUMPY_CORE.scalar
for _mod in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[(_mod, "_frombuffer")] = np._core.numeric._frombuffer
_ALLOWED[("numpy", "ndarray")] = np.ndarray
_ALLOWED[("numpy", "dtype")] = np.dtype
for _mod in ("copy_reg", "copyreg"):
    _ALLOWED[(_mod, "_reconstructor")] = _reconstructor
for _mod in ("__builtin__", "builtins"):
    _ALLOWED[(_mod, "object")] = object
    _ALLOWED[(_mod, "set")] = set
    _ALLOWED[(_mod, "frozenset")] = frozenset
    _ALLOWED[(_mod, "complex")] = complex
_ALLOWED[("_codecs", "encode")] = codecs.encode  # how protocol-2 pickles from Python 3 store bytes
_ALLOWED[("collections", "OrderedDict")] = collections.OrderedDict
_ALLOWED[("copyreg", "__newobj__")] = copyreg.__newobj__  # type: ignore[attr-defined]
_ALLOWED[("copy_reg", "__newobj__")] = copyreg.__newobj__  # type: ignore[attr-defined]

_SPARSE_FORMATS = ("csc", "csr", "coo")


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` admits array data only (see module docstring)."""

    def __init__(self, file: io.BufferedIOBase, source: str) -> None:
        super().__init__(file, encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "chumpy" or module.startswith("chumpy."):
            return _ChumpyObject
        if module.startswith("scipy.sparse"):
            fmt = name.split("_")[0]
            if fmt in _SPARSE_FORMATS and name.endswith(("_matrix", "_array")):
                return type(name, (_SparseMatrix,), {"format": fmt})
        raise UnsafePickleError(
            f"{self.source}: refusing to unpickle global '{module}.{name}': only numpy/scipy "
            "array data and chumpy arrays are allowed in model and tracker pickles"
        )


def _to_array(obj: _Captured, source: str) -> Any:
    state = obj.state
    if isinstance(obj, _SparseMatrix):
        if not isinstance(state, dict):
            raise UnsafePickleError(f"{source}: sparse matrix without a state dict")
        shape = tuple(state.get("_shape", state.get("shape", ())))
        if obj.format == "coo":
            return scipy.sparse.coo_matrix((state["data"], (state["row"], state["col"])), shape=shape)
        cls = scipy.sparse.csc_matrix if obj.format == "csc" else scipy.sparse.csr_matrix
        return cls((state["data"], state["indices"], state["indptr"]), shape=shape)
    if isinstance(state, dict):
        state = {k: _convert(v, source) for k, v in state.items()}
        if "x" in state:
            return np.asarray(state["x"])
        if "a" in state and "idxs" in state:  # chumpy.reordering.Select
            selected = np.asarray(state["a"]).ravel()[np.asarray(state["idxs"]).ravel()]
            shape = state.get("preferred_shape")
            return selected.reshape(shape) if shape is not None else selected
    keys = sorted(state) if isinstance(state, dict) else type(state).__name__
    raise UnsafePickleError(f"{source}: cannot turn a pickled {obj.kind} object (state {keys}) into an array")


def _convert(obj: Any, source: str, strict: bool = True) -> Any:
    if isinstance(obj, _Captured):
        return _to_array(obj, source)
    if isinstance(obj, dict) and not strict:
        converted = {}
        for key, value in obj.items():
            try:
                converted[key] = _convert(value, source)
            except UnsafePickleError as exc:
                warnings.warn(f"{source}: skipping key '{key}': {exc}", stacklevel=3)
        return converted
    if isinstance(obj, dict):
        return {k: _convert(v, source) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_convert(v, source) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_convert(v, source) for v in obj)
    return obj


def load_pickle(path: str | os.PathLike, strict: bool = True) -> Any:
    """Load a pickle of arrays without executing code. ``chumpy`` objects become ndarrays.

    With ``strict=False`` a top-level dict entry that is array-like but cannot be turned
    into an array (an unknown chumpy operation, say) is skipped with a warning instead of
    failing the whole file; disallowed globals are refused either way.
    """
    source = os.fspath(path)
    with open(source, "rb") as handle:
        try:
            raw = RestrictedUnpickler(handle, source).load()
        except UnsafePickleError:
            raise
        except Exception as exc:  # truncated or corrupt file
            raise UnsafePickleError(f"{source}: not a readable pickle ({type(exc).__name__}: {exc})") from exc
    return _convert(raw, source, strict)
