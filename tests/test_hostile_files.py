"""Hostile and broken input files are refused quickly, with bounded memory and one-line errors.

Every hostile file is generated here at test time (hand-assembled pickle opcodes, zip
archives whose ``.npy`` headers declare more than they hold, FIFOs, ...); none is committed.
Each refusal runs under ``tracemalloc`` (numpy's buffers included) and a clock: the reader
must say no before it allocates what the file declares.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import re
import signal
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import make_clip

from modeling_tdmm.cli import main as tdmm
from modeling_tdmm.clip import ClipValidationError, FaceClip
from modeling_tdmm.face_model import FaceModel, FaceModelFormatError, read_face_model_arrays
from modeling_tdmm.limits import LimitError
from modeling_tdmm.readers import TrackerFormatError, read_tracker_file
from modeling_tdmm.safe_pickle import UnsafePickleError, load_pickle

T = 40
MEMORY_LIMIT = 150 * 2**20  # bytes any one refusal may allocate at its peak
TIME_LIMIT = 2.0  # seconds


# ----------------------------------------------------------------------------- harness
@contextlib.contextmanager
def _bounded():
    """Fail if the body allocates more than MEMORY_LIMIT at its peak or takes over TIME_LIMIT."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"peak allocation {peak / 2**20:.0f} MB"
    assert time.perf_counter() - start < TIME_LIMIT


class _Blocked(BaseException):
    """A read blocked (a BaseException, so no reader's ``except OSError``/``Exception`` swallows it)."""


@contextlib.contextmanager
def _deadline(seconds: float = 5.0):
    """Turn a read that blocks forever (a FIFO) into :class:`_Blocked`, raised every second after ``seconds``."""
    def expire(*_):
        raise _Blocked("the read blocked")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _refused(call, error, match):
    """``call()`` raises ``error`` matching ``match`` (one line), in bounded time and memory."""
    with _bounded(), _deadline():
        with pytest.raises(error, match=match) as info:
            call()
    assert "\n" not in str(info.value)
    return info.value


def _cli_refuses(path: Path, tmp_path: Path, *options: str) -> None:
    out = tmp_path / "out" / "converted.npz"
    with _deadline():
        assert tdmm(["convert", str(path), "-o", str(out), *options]) == 2
    assert not out.exists()


# ----------------------------------------------------------------------------- pickle assembly
def _g(module: str, name: str) -> bytes:
    """GLOBAL opcode."""
    return f"c{module}\n{name}\n".encode()


def _v(value) -> bytes:
    """Opcodes that push ``value`` (a protocol-2 pickle without its header and STOP)."""
    return pickle.dumps(value, protocol=2)[2:-1]


def _call(func: bytes, *args: bytes) -> bytes:
    return func + b"(" + b"".join(args) + b"tR"


def _pkl(ops: bytes) -> bytes:
    return b"\x80\x02" + ops + b"."


def _smirk(**overrides: bytes) -> bytes:
    """A SMIRK-layout dict whose values are the given opcodes (legit zeros elsewhere)."""
    values = {"expression": _v(np.zeros((T, 50), np.float32)), "pose": _v(np.zeros((T, 3), np.float32)),
              "eyelid": _v(np.zeros((T, 2), np.float32)), "jaw": _v(np.zeros((T, 3), np.float32)), **overrides}
    return _pkl(b"}(" + b"".join(_v(k) + v for k, v in values.items()) + b"u")


def _reconstructed(shape, dtype, raw) -> bytes:
    """numpy's protocol-2 array: ``_reconstruct(ndarray, (0,), b'b')`` then BUILD with the given state."""
    return (_call(_g("numpy.core.multiarray", "_reconstruct"), _g("numpy", "ndarray"), _v((0,)), _v(b"b"))
            + b"(K\x01" + _v(shape) + _v(np.dtype(dtype)) + b"\x89" + _v(raw) + b"tb")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


F4 = _v(np.dtype("float32"))
UNINITIALISED = {  # arrays of uninitialised memory: declared shape, no data
    "ndarray_call": _call(_g("numpy", "ndarray"), _v((T, 50)), F4),
    "newobj_opcode": _g("numpy", "ndarray") + b"(" + _v((T, 50)) + F4 + b"t\x81",
    "copyreg_newobj": _call(_g("copyreg", "__newobj__"), _g("numpy", "ndarray"), _v((T, 50)), F4),
    "copy_reg_reconstructor": _call(_g("copy_reg", "_reconstructor"), _g("numpy", "ndarray"), _g("numpy", "ndarray"), _v((T, 50))),
    "reconstruct_without_state": _call(_g("numpy.core.multiarray", "_reconstruct"), _g("numpy", "ndarray"), _v((T, 50)), _v(b"f")),
}


# ----------------------------------------------------------------------------- 1. uninitialised memory
@pytest.mark.parametrize("name", sorted(UNINITIALISED))
def test_array_without_data_is_refused(tmp_path, name):
    path = _write(tmp_path, f"{name}.pkl", _smirk(expression=UNINITIALISED[name]))
    _refused(lambda: read_tracker_file(path), UnsafePickleError, rf"{name}\.pkl: a pickled numpy array comes without its data")
    _cli_refuses(path, tmp_path)


def test_huge_declared_array_is_refused_before_allocation(tmp_path):
    path = _write(tmp_path, "huge.pkl", _pkl(_call(_g("numpy", "ndarray"), _v((10**9,)), _v(np.dtype("f8")))))
    _refused(lambda: load_pickle(path), UnsafePickleError, "without its data")
    path.write_bytes(_pkl(_reconstructed((10**12,), "f8", b"")))
    _refused(lambda: load_pickle(path), LimitError, r"huge\.pkl: 8,000,000,000,000 bytes in one array exceeds .*TDMM_MAX_ARRAY_BYTES")
    path.write_bytes(_pkl(_reconstructed((10**6,), "f8", b"")))
    _refused(lambda: load_pickle(path), UnsafePickleError, r"declares 8,000,000 bytes, more than the whole file")
    path.write_bytes(_pkl(_reconstructed((2, 3), "f4", b"\0" * 8)))
    _refused(lambda: load_pickle(path), UnsafePickleError, r"array \[2, 3\] of float32 needs 24 bytes of data, the file holds 8 bytes")


@pytest.mark.parametrize("ops", [
    _reconstructed((T, 50), object, [0.0] * (T * 50)),
    _call(_g("numpy.core.multiarray", "scalar"), _v(np.dtype(object)), _v(3.0)),
    _call(_g("numpy._core.numeric", "_frombuffer"), _v(b"\0" * 8), _v(np.dtype(object)), _v((1,)), _v("C")),
    _reconstructed((2,), [("a", "f8"), ("b", "f8")], b"\0" * 32),
], ids=["reconstruct", "scalar", "frombuffer", "structured"])
def test_object_and_record_dtypes_are_refused(tmp_path, ops):
    path = _write(tmp_path, "objects.pkl", _smirk(expression=ops))
    _refused(lambda: read_tracker_file(path), UnsafePickleError, r"objects\.pkl: refusing (arrays of dtype|a pickled dtype)")


def test_legit_numpy_pickles_still_load(tmp_path):
    arrays = {"c": np.arange(12.0).reshape(3, 4), "fortran": np.asfortranarray(np.arange(12).reshape(3, 4)),
              "permuted": np.arange(24.0).reshape(2, 3, 4).transpose(2, 0, 1), "big_endian": np.arange(3, dtype=">i4"),
              "text": np.array(["ab", "c"]), "flags": np.array([True, False]), "empty": np.zeros((0, 3), np.float32)}
    scalars = {"float": np.float64(2.5), "int": np.int64(3)}
    for protocol in range(6):
        path = _write(tmp_path, f"p{protocol}.pkl", pickle.dumps({**arrays, **scalars, "set": {1}}, protocol=protocol))
        loaded = load_pickle(path)
        for key, value in arrays.items():
            assert loaded[key].dtype == value.dtype and np.array_equal(loaded[key], value), (protocol, key)
            assert loaded[key].flags.writeable
        assert loaded["float"] == 2.5 and type(loaded["int"]) is np.int64 and loaded["set"] == {1}


def test_python2_latin1_numpy_pickle_loads(tmp_path):
    """Python 2 writes array bytes as a ``str`` (SHORT_BINSTRING), read back as latin1 text."""
    values = np.array([1.5, -2.0, np.pi])
    raw = values.tobytes()
    dtype = _call(_g("numpy", "dtype"), b"U\x02f8", b"K\x00K\x01") + b"(K\x03U\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    ops = (_call(_g("numpy.core.multiarray", "_reconstruct"), _g("numpy", "ndarray"), b"K\x00\x85", b"U\x01b")
           + b"(K\x01K\x03\x85" + dtype + b"\x89U" + bytes([len(raw)]) + raw + b"tb")
    path = _write(tmp_path, "py2.pkl", _pkl(b"}U\x01x" + ops + b"s"))
    np.testing.assert_array_equal(load_pickle(path)["x"], values)


# ----------------------------------------------------------------------------- 2. expansion, nesting, broken state
def _laughs(levels: int = 9, fanout: int = 10) -> bytes:
    """Nested shared lists: ``fanout ** levels`` leaves from a few hundred bytes (memo GETs)."""
    ops = b"]q\x000"  # EMPTY_LIST, BINPUT 0, POP
    for level in range(1, levels + 1):
        ops += b"(" + (b"h" + bytes([level - 1])) * fanout + b"lq" + bytes([level]) + b"0"
    return ops + b"h" + bytes([levels])


def test_billion_laughs_is_refused_early(tmp_path):
    path = _write(tmp_path, "laughs.pkl", _pkl(_laughs()))
    assert len(path.read_bytes()) < 300
    _refused(lambda: load_pickle(path), LimitError, r"laughs\.pkl: .* pickled items exceeds the limit .*TDMM_MAX_PICKLE_ITEMS")
    smirk = _write(tmp_path, "laughs_smirk.pkl", _smirk(expression=_laughs()))
    _refused(lambda: read_tracker_file(smirk), LimitError, "TDMM_MAX_PICKLE_ITEMS")
    _cli_refuses(smirk, tmp_path)


def test_shared_array_counted_each_time_it_is_reached(tmp_path, monkeypatch):
    monkeypatch.setenv("TDMM_MAX_INPUT_BYTES", str(10 * 2**20))
    array = _v(np.zeros(1 << 17, np.float64)) + b"r" + struct.pack("<I", 1000)  # 1 MiB, memo 1000
    refs = b"(" + (b"j" + struct.pack("<I", 1000)) * 64 + b"l"
    path = _write(tmp_path, "shared.pkl", _pkl(array + b"0" + refs))
    _refused(lambda: load_pickle(path), LimitError, r"shared\.pkl: .* bytes of arrays in one input file .*TDMM_MAX_INPUT_BYTES")


def test_memo_index_bomb_stays_small(tmp_path):
    """A PUT naming memo index 10**8 made the C unpickler allocate ~1.5 GB for 14 bytes."""
    path = _write(tmp_path, "memo.pkl", _pkl(b"]r" + struct.pack("<I", 100_000_000)))
    with _bounded():
        assert load_pickle(path) == []
    _refused(lambda: read_tracker_file(path), TrackerFormatError, r"memo\.pkl: expected a pickled dict")


def test_truncated_and_oversized_byte_strings(tmp_path):
    path = _write(tmp_path, "bytes8.pkl", b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"abc")
    _refused(lambda: load_pickle(path), UnsafePickleError, r"bytes8\.pkl: not a readable pickle")
    path.write_bytes(_pkl(_call(_g("builtins", "bytes"), _v(10**10))))
    _refused(lambda: load_pickle(path), UnsafePickleError, "builtins.bytes is allowed only without arguments")


def test_deep_nesting_and_cycles_are_refused(tmp_path):
    deep = _write(tmp_path, "deep.pkl", _pkl(b"]" * 100_000 + b"a" * 99_999))
    _refused(lambda: load_pickle(deep), UnsafePickleError, r"deep\.pkl: containers nested deeper than 64 levels")
    cycle = _write(tmp_path, "cycle.pkl", _pkl(b"]q\x00h\x00a"))
    _refused(lambda: load_pickle(cycle), UnsafePickleError, r"cycle\.pkl: the pickle contains a reference cycle")


def _sparse(fmt: str, state: dict) -> bytes:
    return _g(f"scipy.sparse._{fmt}", f"{fmt}_matrix") + b")\x81" + _v(state) + b"b"


def test_broken_sparse_and_chumpy_state(tmp_path):
    path = tmp_path / "sparse.pkl"
    path.write_bytes(_pkl(_sparse("csc", {"_shape": (5, 5)})))
    _refused(lambda: load_pickle(path), UnsafePickleError, r"sparse\.pkl: a pickled sparse csc matrix lacks \['data', 'indices', 'indptr'\]")
    huge = {"_shape": (1, 10**12), "data": np.zeros(0), "indices": np.zeros(0, np.int32), "indptr": np.zeros(2, np.int32)}
    path.write_bytes(_pkl(_sparse("csr", huge)))
    _refused(lambda: load_pickle(path), LimitError, r"sparse matrix \[1, 1000000000000\] as dense: .*TDMM_MAX_ARRAY_BYTES")
    outside = {"_shape": (5, 5), "data": np.ones(1), "indices": np.array([10**6], np.int32), "indptr": np.array([0, 1, 1, 1, 1, 1], np.int32)}
    path.write_bytes(_pkl(_sparse("csc", outside)))
    _refused(lambda: load_pickle(path), UnsafePickleError, r"sparse\.pkl: cannot turn a pickled sparse into an array")
    select = {"a": np.zeros(3), "idxs": np.array([10**9]), "preferred_shape": (1,)}
    path.write_bytes(_pkl(_g("chumpy.reordering", "Select") + b")\x81" + _v(select) + b"b"))
    _refused(lambda: load_pickle(path), UnsafePickleError, r"cannot turn a pickled chumpy into an array \(IndexError")


MALICIOUS = {
    "os.system": _call(_g("os", "system"), _v("touch {marker}")),
    "posix.system": _call(_g("posix", "system"), _v("touch {marker}")),
    "builtins.eval": _call(_g("builtins", "eval"), _v("open('{marker}', 'w')")),
    "builtins.exec": _call(_g("builtins", "exec"), _v("open('{marker}', 'w')")),
    "builtins.getattr": _call(_g("builtins", "getattr"), _v(1), _v("real")),
    "builtins.open": _call(_g("builtins", "open"), _v("{marker}"), _v("w")),
    "subprocess.Popen": _call(_g("subprocess", "Popen"), _v(["touch", "{marker}"])),
    "functools.partial": _call(_g("functools", "partial"), _g("os", "system"), _v("touch {marker}")),
    "numpy.load": _call(_g("numpy", "load"), _v("{marker}")),
    "numpy.testing._private.utils.runstring": _call(_g("numpy.testing._private.utils", "runstring"), _v("open('{marker}', 'w')"), _v({})),
    "_reconstruct(OrderedDict)": _call(_g("numpy.core.multiarray", "_reconstruct"), _g("collections", "OrderedDict"), _v((0,)), _v(b"b")),
    "_codecs.encode(zlib)": _call(_g("_codecs", "encode"), _v("x"), _v("zlib")),
}


@pytest.mark.parametrize("name", sorted(MALICIOUS))
def test_code_running_globals_stay_refused(tmp_path, name):
    marker = tmp_path / "pwned"
    path = _write(tmp_path, "evil.pkl", _pkl(MALICIOUS[name].replace(b"{marker}", str(marker).encode())))
    _refused(lambda: load_pickle(path), UnsafePickleError, r"evil\.pkl: ")
    assert not marker.exists()


# ----------------------------------------------------------------------------- 3. npz archives
def _npz(path: Path, members: dict[str, bytes | np.ndarray]) -> Path:
    """A deflated zip of ``.npy`` members: arrays, or raw bytes (a header declaring more than follows)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in members.items():
            if isinstance(value, np.ndarray):
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, value, allow_pickle=False)
                value = buffer.getvalue()
            archive.writestr(f"{name}.npy", value)
    return path


def _header(shape, descr="<f4") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _clip_members(clip: FaceClip) -> dict[str, np.ndarray]:
    """What ``FaceClip.save`` writes, as arrays to tamper with."""
    return {**clip.motion(), "shape": clip.shape, "meta_json": np.array(json.dumps({**clip.metadata(), "fps": clip.fps}))}


def test_npz_zip_bomb_is_refused_from_headers(tmp_path, clip):
    bomb = _npz(tmp_path / "bomb.npz", {**_clip_members(clip), "expression": _header((10**9, 50)) + bytes(1 << 20)})
    assert bomb.stat().st_size < 100_000
    _refused(lambda: read_tracker_file(bomb), LimitError, r"bomb\.npz: member 'expression': 200,000,000,000 bytes in one array")
    _refused(lambda: FaceClip.load(bomb), LimitError, "TDMM_MAX_ARRAY_BYTES")
    _cli_refuses(bomb, tmp_path)
    long = _npz(tmp_path / "long.npz", {**_clip_members(clip), "expression": np.zeros((100_000, 50), np.float32)})
    _refused(lambda: read_tracker_file(long), LimitError, r"long\.npz: member 'expression': 100,000 frames per clip")
    deca = _npz(tmp_path / "deca.npz", {"exp": _header((1, 100_000, 50)), "pose": np.zeros((T, 6))})
    _refused(lambda: read_tracker_file(deca), LimitError, r"deca\.npz: member 'exp': 100,000 frames per clip")
    wide = _npz(tmp_path / "wide.npz", {"unused": _header((10**6, 10**6)), "exp": np.zeros((T, 50)), "pose": np.zeros((T, 6))})
    _refused(lambda: read_tracker_file(wide), LimitError, r"wide\.npz: member 'unused': .* bytes in one array")


def test_npz_members_together_are_limited(tmp_path, monkeypatch):
    monkeypatch.setenv("TDMM_MAX_INPUT_BYTES", str(2**20))
    many = _npz(tmp_path / "many.npz", {f"m{i}": _header((2**16,)) for i in range(8)})
    _refused(lambda: read_face_model_arrays(many), LimitError, r"many\.npz: 2,097,152 bytes of arrays in one input file")


@pytest.mark.parametrize("dtype", ["complex64", "datetime64[s]", "timedelta64[s]", "<U3", "bool"])
def test_npz_non_real_members_are_refused(tmp_path, clip, dtype):
    path = _npz(tmp_path / "typed.npz", {**_clip_members(clip), "jaw_pose": np.zeros((clip.num_frames, 3)).astype(dtype)})
    _refused(lambda: read_tracker_file(path), TrackerFormatError, r"typed\.npz: member 'jaw_pose' should hold int/uint/float, got dtype")
    deca = _npz(tmp_path / "deca.npz", {"exp": np.zeros((T, 50)).astype(dtype), "pose": np.zeros((T, 6))})
    _refused(lambda: read_tracker_file(deca), TrackerFormatError, r"deca\.npz: member 'exp' should hold int/uint/float")


def test_npz_object_member_is_refused_without_pickle(tmp_path):
    path = _npz(tmp_path / "objects.npz", {"exp": _header((T, 50), "|O") + b"\x80\x02N.", "pose": np.zeros((T, 6))})
    _refused(lambda: read_tracker_file(path), TrackerFormatError, r"objects\.npz: member 'exp' should hold plain data, got dtype object")


def test_truncated_or_fake_npz_is_reported_as_an_archive(tmp_path, clip):
    good = tmp_path / "clip.npz"
    clip.save(good)
    truncated = _write(tmp_path, "truncated.npz", good.read_bytes()[: good.stat().st_size // 2])
    _refused(lambda: read_tracker_file(truncated), TrackerFormatError, r"truncated\.npz: not a valid \.npz \(zip\) archive")
    _refused(lambda: FaceClip.load(truncated), ClipValidationError, r"truncated\.npz: not a valid \.npz \(zip\) archive")
    garbage = _write(tmp_path, "garbage.npz", b"not a zip at all")
    _refused(lambda: read_tracker_file(garbage), TrackerFormatError, r"garbage\.npz: not a valid \.npz \(zip\) archive")
    _cli_refuses(truncated, tmp_path)


# ----------------------------------------------------------------------------- 4. clip validation
def _fields(clip: FaceClip, **overrides):
    return {**clip.to_dict(), **overrides}


@pytest.mark.parametrize("dtype", ["complex64", "datetime64[s]", "timedelta64[s]", "<U4", "bool", "object"])
def test_clip_fields_must_be_real_numbers(clip, dtype):
    bad = np.zeros((clip.num_frames, 50)).astype(dtype)
    name = np.dtype(dtype).name if dtype != "<U4" else "<U4"
    _refused(lambda: FaceClip.from_dict(_fields(clip, expression=bad), origin="some/clip.npz"), ClipValidationError,
             rf"some/clip\.npz: field 'expression' \[T, 50\] should hold real numbers \(int/uint/float\), got dtype {re.escape(name)}")
    _refused(lambda: FaceClip.from_dict(_fields(clip, shape=np.zeros(3).astype(dtype))), ClipValidationError, "field 'shape'")


def test_numeric_strings_are_not_converted(clip):
    _refused(lambda: FaceClip.from_dict(_fields(clip, jaw_pose=[["0.1", "0", "0"]] * clip.num_frames)),
             ClipValidationError, r"field 'jaw_pose' \[T, 3\] should hold real numbers")


def test_frame_and_rate_limits(monkeypatch):
    monkeypatch.setenv("TDMM_MAX_FRAMES", "100")
    _refused(lambda: make_clip(num_frames=101), LimitError, r"clip: field 'expression': 101 frames per clip exceeds .*TDMM_MAX_FRAMES")
    clip = make_clip(num_frames=30)
    _refused(lambda: clip.resample(1e9), LimitError, r"target fps: 1,000,000,000 frames per second .*TDMM_MAX_FPS")
    _refused(lambda: clip.resample(900), LimitError, r"resampled to 900 fps: 1,045 frames per clip exceeds")
    _refused(lambda: make_clip(fps=1e6), LimitError, "TDMM_MAX_FPS")
    _refused(lambda: clip.resample("50"), ClipValidationError, "target fps should be a positive number")


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "'meta_json' should be a JSON object, got list"),
    ("null", "'meta_json' should be a JSON object, got NoneType"),
    ("{not json", "'meta_json' is not valid JSON"),
    ("[" * 100_000, "'meta_json' is not valid JSON"),
])
def test_bad_meta_json_names_the_file(tmp_path, clip, text, message):
    path = _npz(tmp_path / "meta.npz", {**_clip_members(clip), "meta_json": np.array(text)})
    _refused(lambda: FaceClip.load(path), ClipValidationError, rf"meta\.npz: {message}")
    _cli_refuses(path, tmp_path)


@pytest.mark.parametrize("overrides, message", [
    ({"face_model": 5}, "field 'face_model' should be a string, got int"),
    ({"prompt": ["a", "b"]}, "field 'prompt' should be a string, got list"),
    ({"clip_id": 3}, "field 'clip_id' should be a string"),
    ({"source": 1.5}, "field 'source' should be a string"),
    ({"captions": [1, 2]}, "field 'captions' should be a list of strings"),
    ({"captions": {"a": 1}}, "field 'captions' should be a list of strings"),
    ({"attributes": [1]}, "field 'attributes' should be a dict, got list"),
    ({"attributes": {"events": "blink"}}, r"attributes\['events'\] should be a list of dicts"),
    ({"attributes": {"events": [{"start": "3", "end": 7}]}}, r"attributes\['events'\]\[0\]\['start'\] should be an integer frame"),
    ({"attributes": {"events": [{"start": 3, "end": 7.5}]}}, r"attributes\['events'\]\[0\]\['end'\] should be an integer frame"),
])
def test_metadata_types_are_checked(clip, overrides, message):
    _refused(lambda: FaceClip.from_dict(_fields(clip, **overrides), origin="c.npz"), ClipValidationError, rf"c\.npz: {message}")


def test_bad_event_in_a_file_is_a_clip_error_not_a_crash(tmp_path, clip):
    meta = {**clip.metadata(), "fps": 25.0, "attributes": {"events": [{"type": "blink", "start": "3", "end": 7}]}}
    path = _npz(tmp_path / "events.npz", {**_clip_members(clip), "meta_json": np.array(json.dumps(meta))})
    _refused(lambda: read_tracker_file(path, fps=50), ClipValidationError, r"events\.npz: attributes\['events'\]\[0\]\['start'\]")
    _cli_refuses(path, tmp_path, "--fps", "50")


# ----------------------------------------------------------------------------- 5. files that are not files
@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "stream.pkl"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("reader", [read_tracker_file, load_pickle, FaceClip.load, FaceModel.load, read_face_model_arrays],
                         ids=lambda f: f.__qualname__)
def test_fifos_devices_and_folders_are_refused_without_blocking(tmp_path, fifo, reader):
    _refused(lambda: reader(fifo), OSError, r"stream\.pkl: not a regular file")
    _refused(lambda: reader(tmp_path), IsADirectoryError, "is a folder")
    _refused(lambda: reader("/dev/null"), OSError, "/dev/null: not a regular file")


# ----------------------------------------------------------------------------- 6. face-model files
def _tiny_flame(num_v: int = 12) -> dict[str, np.ndarray]:
    """A FLAME-layout model (300 identity + 10 expression columns) on a dozen vertices."""
    rng = np.random.default_rng(0)
    return {"v_template": rng.normal(size=(num_v, 3)), "f": rng.integers(0, num_v, (8, 3)).astype(np.uint32),
            "shapedirs": rng.normal(scale=1e-3, size=(num_v, 3, 310)), "posedirs": np.zeros((num_v, 3, 36)),
            "J_regressor": np.full((5, num_v), 1 / num_v), "weights": np.full((num_v, 5), 0.2),
            "kintree_table": np.array([[-1, 0, 1, 1, 1], [0, 1, 2, 3, 4]])}


def _model_file(tmp_path: Path, **changes) -> Path:
    arrays = {**_tiny_flame(), **changes}
    path = tmp_path / "model.npz"
    np.savez(path, **arrays)
    return path


def test_tiny_flame_layout_loads(tmp_path):
    model = FaceModel.load(_model_file(tmp_path))
    assert (model.num_vertices, model.num_expression) == (12, 10)


@pytest.mark.parametrize("key, value, message", [
    ("f", np.array([[0, 1, 12]] * 8, np.uint32), r"key 'f' should hold vertex indices in \[0, 12\), got values in \[0, 12\]"),
    ("f", np.array([[0, 1, -1]] * 8), r"key 'f' should hold vertex indices in \[0, 12\)"),
    ("f", np.zeros((8, 3)), r"key 'f' should hold integer vertex indices, got dtype float64"),
    ("kintree_table", np.array([[-1, 2, 1, 1, 1], [0, 1, 2, 3, 4]]), r"key 'kintree_table' row 0 should give each joint j > 0 a parent in \[0, j\)"),
    ("kintree_table", np.array([[-1, 0, 1, 9, 1], [0, 1, 2, 3, 4]]), r"key 'kintree_table' row 0 .* got \[-1, 0, 1, 9, 1\]"),
    ("v_template", np.full((12, 3), np.nan), "key 'v_template' has NaN/inf values"),
    ("shapedirs", np.full((12, 3, 310), np.inf), "key 'shapedirs' has NaN/inf values"),
    ("weights", np.full((12, 5), np.nan), "key 'weights' has NaN/inf values"),
    ("weights", np.zeros((12, 5), np.complex64), r"member 'weights' should hold int/uint/float, got dtype complex64"),
])
def test_face_model_values_are_checked(tmp_path, key, value, message):
    path = _model_file(tmp_path, **{key: value})
    _refused(lambda: FaceModel.load(path), FaceModelFormatError, rf"model\.npz: {message}")


def test_face_model_pickle_values_are_checked(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({**_tiny_flame(), "f": np.array([[0, 1, 99]], np.int64)}, protocol=2))
    _refused(lambda: FaceModel.load(path), FaceModelFormatError, r"model\.pkl: key 'f' should hold vertex indices in \[0, 12\)")


def test_eyelid_files_beside_flame_are_checked(tmp_path):
    path = _model_file(tmp_path)
    np.save(tmp_path / "r_eyelid.npy", np.zeros((12, 3)))
    os.mkfifo(tmp_path / "l_eyelid.npy")
    _refused(lambda: FaceModel.load(path), FaceModelFormatError, r"l_eyelid\.npy: not a regular file")
    os.unlink(tmp_path / "l_eyelid.npy")
    np.save(tmp_path / "l_eyelid.npy", np.zeros((5, 3)))
    _refused(lambda: FaceModel.load(path), FaceModelFormatError, r"l_eyelid\.npy: eyelid blendshape should have shape \[12, 3\], got \[5, 3\]")
    with open(tmp_path / "l_eyelid.npy", "wb") as handle:
        handle.write(_header((10**9, 3), "<f8"))
    _refused(lambda: FaceModel.load(path), LimitError, "TDMM_MAX_ARRAY_BYTES")
    np.save(tmp_path / "l_eyelid.npy", np.full((12, 3), np.nan))
    _refused(lambda: FaceModel.load(path), FaceModelFormatError, r"l_eyelid\.npy: eyelid blendshape has NaN/inf values")
    np.save(tmp_path / "l_eyelid.npy", np.ones((12, 3)))
    assert FaceModel.load(path).has_eyelids


def test_face_model_npz_bomb_is_refused(tmp_path):
    path = _npz(tmp_path / "model.npz", {**_tiny_flame(), "shapedirs": _header((12, 3, 10**9), "<f8")})
    _refused(lambda: FaceModel.load(path), LimitError, r"model\.npz: member 'shapedirs': .* bytes in one array")
