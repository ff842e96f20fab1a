"""Hostile and broken inputs to the Open3DFaceVid corpus build: no data loss, one-line errors.

Every hostile input is made here at test time (paths outside the output folder, FIFOs,
non-UTF-8 manifests, tracker files with bad attributes, interrupted builds).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import datasets
import numpy as np
import pytest

import open3dfacevid.corpus as corpus
from modeling_tdmm.clip import MOTION_FIELDS
from open3dfacevid.__main__ import main as o3dfv
from open3dfacevid.builder import Open3DFaceVid
from open3dfacevid.corpus import build_corpus
from open3dfacevid.prompts import spec_at
from open3dfacevid.tracks import read_manifest, scan_tracks

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- helpers
def cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit status and stderr of ``python -m open3dfacevid`` (argparse errors exit through SystemExit)."""
    try:
        code = o3dfv(argv)
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2 and "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert "error:" in last, err
    for fragment in fragments:
        assert fragment in last, (fragment, err)


def deca(path: Path, frames: int = 40, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    np.savez(path, exp=rng.normal(size=(frames, 50)) * 0.1, pose=rng.normal(size=(frames, 6)) * 0.1)


def clip_file(path: Path, attributes: object, frames: int = 40) -> None:
    """A clip.npz whose stored attributes are ``attributes`` (possibly not what a clip should hold)."""
    zeros = {name: np.zeros((frames, width), np.float32) for name, width in MOTION_FIELDS.items()}
    meta = {"fps": 25.0, "source": "clip", "face_model": "flame2020", "attributes": attributes}
    np.savez(path, **zeros, shape=np.zeros(10, np.float32), meta_json=np.array(json.dumps(meta)))


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file of a corpus folder (relative path -> bytes)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def loaded_rows(out: Path, cache: Path) -> int:
    ds = datasets.load_dataset(str(out), cache_dir=str(cache))
    return sum(ds[split].num_rows for split in ds)


def assert_unchanged(out: Path, before: dict[str, bytes], rows: int, cache: Path) -> None:
    assert snapshot(out) == before
    assert not list(out.glob(".o3dfv-*")), "staging folder left behind"
    assert loaded_rows(out, cache) == rows


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("built") / "corpus"
    build_corpus(out, "procedural", num_clips=24, seed=1, num_shards=2)
    return out


@pytest.fixture
def old_corpus(built, tmp_path) -> tuple[Path, dict[str, bytes]]:
    """A fresh copy of a 24-clip corpus and its files."""
    out = tmp_path / "corpus"
    shutil.copytree(built, out)
    return out, snapshot(out)


@pytest.fixture
def tracks(tmp_path) -> Path:
    folder = tmp_path / "tracks"
    folder.mkdir()
    deca(folder / "good1.npz", seed=1)
    deca(folder / "good2.npz", seed=2)
    return folder


# ----------------------------------------------------------------------------- 1a: data_dir stays inside --out
@pytest.mark.parametrize("data_dir", ["ABSOLUTE", "../../victim", ".", "./", "a/../../victim", "", "README.md"])
def test_data_dir_outside_out_is_refused_and_nothing_moves(tmp_path, capsys, data_dir):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    out = tmp_path / "x" / "y"
    data_dir = str(victim) if data_dir == "ABSOLUTE" else data_dir
    code, err = cli(["build", "--out", str(out), "--num-clips", "3", "--data-dir", data_dir], capsys)
    assert_one_line_error(code, err, "--data-dir")
    assert (victim / "precious.txt").read_text() == "keep me"
    with pytest.raises(ValueError, match="data-dir"):
        build_corpus(out, "procedural", data_dir=data_dir, num_clips=3)
    assert (victim / "precious.txt").read_text() == "keep me"


def test_data_dir_through_a_symlink_out_of_out_is_refused(tmp_path):
    victim = tmp_path / "victim"
    (victim / "sample").mkdir(parents=True)
    (victim / "sample" / "precious.txt").write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(victim)
    with pytest.raises(ValueError, match="outside"):
        build_corpus(out, "procedural", data_dir="link/sample", num_clips=3)
    assert (victim / "sample" / "precious.txt").read_text() == "keep me"


def test_nested_data_dir_inside_out_works(tmp_path):
    out = tmp_path / "out"
    build_corpus(out, "procedural", data_dir="data/sample", num_clips=6, num_shards=1)
    assert list((out / "data" / "sample").glob("train-*.parquet"))
    assert loaded_rows(out, tmp_path / "cache") == 6


# ----------------------------------------------------------------------------- 1b/2: nothing accepted
def test_rebuild_with_every_row_rejected_keeps_the_old_corpus_and_lists_reasons(tmp_path, tracks, capsys):
    out = tmp_path / "real"
    good = write_jsonl(tmp_path / "good.jsonl", [{"file": "good1.npz", "prompt": "A man frowns."},
                                                 {"file": "good2.npz", "prompt": "A woman smiles."}])
    assert cli(["build", "--config", "tracks", "--tracks-dir", str(tracks), "--manifest", str(good),
                "--out", str(out)], capsys)[0] == 0
    before = snapshot(out)
    (tracks / "good1.npz").unlink()
    (tracks / "good2.npz").unlink()
    (tracks / "broken.pkl").write_bytes(b"not a pickle")
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"file": "good1.npz", "prompt": "gone"},
                                               {"file": "broken.pkl", "prompt": "x"}])
    code, err = cli(["build", "--config", "tracks", "--tracks-dir", str(tracks), "--manifest", str(bad),
                     "--out", str(out)], capsys)
    assert_one_line_error(code, err, "no clips accepted", "2 file(s) rejected", "good1.npz: file not found",
                          "broken.pkl: malformed")
    assert_unchanged(out, before, 2, tmp_path / "cache")


def test_nothing_accepted_error_shows_the_first_reasons_and_a_count(tmp_path):
    folder = tmp_path / "tracks"
    folder.mkdir()
    rows = [{"file": f"missing{k}.npz", "prompt": "p"} for k in range(9)]
    with pytest.raises(ValueError) as info:
        build_corpus(tmp_path / "out", "tracks", tracks_dir=str(folder),
                     manifest=str(write_jsonl(tmp_path / "m.jsonl", rows)))
    message = str(info.value)
    assert "9 file(s) rejected" in message and "missing0.npz: file not found" in message and "and 4 more" in message
    assert "\n" not in message and not (tmp_path / "out" / "README.md").exists()


# ----------------------------------------------------------------------------- 1c: failures and SIGTERM keep the old corpus
def test_failure_after_the_shards_are_written_keeps_the_old_corpus(old_corpus, tmp_path, monkeypatch):
    """The old build moved the new shards in and then failed drawing the figure: old card + new shards."""
    out, before = old_corpus

    def broken_plot(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(corpus, "plot_stats", broken_plot)
    with pytest.raises(OSError, match="disk full"):
        build_corpus(out, "procedural", num_clips=10, seed=2, num_shards=1)
    assert_unchanged(out, before, 24, tmp_path / "cache")


def test_failed_verification_keeps_the_old_corpus(old_corpus, tmp_path, monkeypatch):
    out, before = old_corpus
    monkeypatch.setattr(corpus, "_verify", lambda *args: (_ for _ in ()).throw(RuntimeError("does not load")))
    with pytest.raises(RuntimeError, match="does not load"):
        build_corpus(out, "procedural", num_clips=10, seed=2, num_shards=1)
    assert_unchanged(out, before, 24, tmp_path / "cache")


def test_failure_at_any_point_of_the_swap_puts_the_old_corpus_back(old_corpus, tmp_path, monkeypatch):
    out, before = old_corpus
    (out / "rejected.jsonl").write_text("")  # every kind of entry is moved: 4 files + data aside, 3 files + data in
    before = snapshot(out)
    real_move = corpus._move
    for fail_at in range(1, 10):
        calls = []

        def move(source, target):
            calls.append(source)
            if len(calls) == fail_at:
                raise KeyboardInterrupt("interrupted mid-swap")
            real_move(source, target)

        monkeypatch.setattr(corpus, "_move", move)
        with pytest.raises(KeyboardInterrupt):
            build_corpus(out, "procedural", num_clips=10, seed=2, num_shards=1)
        assert_unchanged(out, before, 24, tmp_path / "cache")


def test_sigterm_mid_build_keeps_the_old_corpus(old_corpus, tmp_path):
    out, before = old_corpus
    process = subprocess.Popen([sys.executable, "-m", "open3dfacevid", "build", "--out", str(out),
                                "--num-clips", "20000", "--num-shards", "4", "--num-proc", "2"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not any(out.glob(".o3dfv-*/cache")) and process.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # generating
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGTERM and "Traceback" not in err, err
    assert "stopped by SIGTERM" in err.strip().splitlines()[-1]
    assert_unchanged(out, before, 24, tmp_path / "cache")


def test_ctrl_c_during_the_swap_is_held_until_the_swap_is_done(old_corpus, tmp_path, monkeypatch):
    out, _ = old_corpus
    real_move, calls = corpus._move, []

    def move(source, target):
        calls.append(source)
        if len(calls) == 3:
            signal.raise_signal(signal.SIGINT)
        real_move(source, target)

    monkeypatch.setattr(corpus, "_move", move)
    # Python's own Ctrl-C handler, even where the test runner was started with SIGINT ignored (a background job)
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            build_corpus(out, "procedural", num_clips=10, seed=2, num_shards=1)
    finally:
        signal.signal(signal.SIGINT, outer)
    assert len(calls) == 8 and loaded_rows(out, tmp_path / "cache") == 10  # 4 aside, 4 in: the new corpus
    assert not list(out.glob(".o3dfv-*"))


def test_sigterm_during_the_swap_finishes_the_swap_then_stops(old_corpus, tmp_path):
    out, _ = old_corpus
    script = (
        "import os, signal, open3dfacevid.corpus as c\n"
        "real, calls = c._move, []\n"
        "def move(source, target):\n"
        "    calls.append(source)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    real(source, target)\n"
        "c._move = move\n"
        f"c.build_corpus({str(out)!r}, 'procedural', num_clips=10, seed=2, num_shards=1)\n"
    )
    process = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert process.returncode == -signal.SIGTERM, process.stderr
    assert loaded_rows(out, tmp_path / "cache") == 10 and not list(out.glob(".o3dfv-*"))


# ----------------------------------------------------------------------------- 3: manifests and tracker files
def run_scan(tracks: Path, manifest: Path, timeout: float = 60) -> tuple[list, dict[str, str]]:
    """``scan_tracks`` in a thread: a read that blocks (a FIFO) fails the test instead of hanging it."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=scan_tracks(tracks, manifest)), daemon=True)
    thread.start()
    thread.join(timeout)
    assert "value" in result, "scan_tracks blocked or failed"
    accepted, rejected = result["value"]
    return accepted, {r.file: r.reason for r in rejected}


def test_manifest_rows_outside_the_tracks_folder_are_rejected(tmp_path, tracks):
    deca(tmp_path / "outside.npz")
    (tracks / "sub").mkdir()
    (tracks / "escape.npz").symlink_to(tmp_path / "outside.npz")
    manifest = write_jsonl(tmp_path / "m.jsonl", [
        {"file": "../outside.npz", "prompt": "p"},
        {"file": "sub/../../outside.npz", "prompt": "p"},
        {"file": str(tmp_path / "outside.npz"), "prompt": "p"},
        {"file": "/etc/passwd", "prompt": "p"},
        {"file": "escape.npz", "prompt": "p"},
        {"file": "good1.npz", "prompt": "p"},
    ])
    accepted, rejected = run_scan(tracks, manifest)
    assert [item.key for item in accepted] == ["good1.npz"]
    assert rejected["../outside.npz"] == "outside the tracks folder"
    assert rejected["../outside.npz"] == rejected["escape.npz"]
    assert rejected["/etc/passwd"].startswith("absolute path") and rejected[str(tmp_path / "outside.npz")].startswith("absolute")
    assert set(rejected) == {"../outside.npz", str(tmp_path / "outside.npz"), "/etc/passwd", "escape.npz", "good2.npz"}


def test_fifos_devices_and_folders_are_rejected_without_blocking(tmp_path, tracks):
    os.mkfifo(tracks / "pipe.npz")
    os.mkfifo(tracks / "unlisted.pkl")
    (tracks / "folder.npz").mkdir()
    (tracks / "stdin.pkl").symlink_to("/dev/stdin")
    (tracks / "loop.npz").symlink_to("loop.npz")
    (tracks / "unlisted_loop.pkl").symlink_to("unlisted_loop.pkl")
    manifest = write_jsonl(tmp_path / "m.jsonl", [
        {"file": "pipe.npz", "prompt": "p"},
        {"file": "folder.npz", "prompt": "p"},
        {"file": "stdin.pkl", "prompt": "p"},
        {"file": "/dev/stdin", "prompt": "p"},
        {"file": ".", "prompt": "p"},
        {"file": "loop.npz", "prompt": "p"},
        {"file": "good1.npz", "prompt": "p"},
        {"file": "good2.npz", "prompt": "p"},
    ])
    accepted, rejected = run_scan(tracks, manifest)
    assert sorted(item.key for item in accepted) == ["good1.npz", "good2.npz"]
    assert "not a regular file" in rejected["pipe.npz"] and "folder" in rejected["folder.npz"]
    assert "folder" in rejected["."] and rejected["stdin.pkl"] == "outside the tracks folder"
    assert rejected["/dev/stdin"].startswith("absolute path")
    assert rejected["unlisted.pkl"].startswith("no manifest entry") and "loop.npz" in rejected
    assert rejected["unlisted_loop.pkl"].startswith("no manifest entry")


def test_manifest_file_must_be_a_regular_file(tmp_path, tracks, capsys):
    for manifest in (tracks, "/dev/stdin"):
        code, err = cli(["build", "--config", "tracks", "--tracks-dir", str(tracks), "--manifest", str(manifest),
                         "--out", str(tmp_path / "out")], capsys)
        assert_one_line_error(code, err, str(manifest))


def test_utf8_bom_csv_manifest_works(tmp_path, tracks):
    manifest = tmp_path / "excel.csv"
    manifest.write_bytes("file,prompt,captions\r\ngood1.npz,Une femme sourit à peine.,Elle sourit.|Un sourire.\r\n"
                         "good2.npz,A man frowns.,\r\n".encode("utf-8-sig"))
    assert read_manifest(manifest)[0]["file"] == "good1.npz"
    accepted, rejected = run_scan(tracks, manifest)
    assert {item.key: item.prompt for item in accepted} == {"good1.npz": "Une femme sourit à peine.",
                                                            "good2.npz": "A man frowns."}
    assert accepted[0].captions == ["Elle sourit.", "Un sourire."] and not rejected


def test_latin1_manifest_is_a_one_line_error_naming_the_file(tmp_path, tracks, capsys):
    manifest = tmp_path / "latin1.csv"
    manifest.write_bytes("file,prompt\ngood1.npz,Une femme sourit à peine.\n".encode("latin-1"))
    with pytest.raises(ValueError, match="must be UTF-8"):
        read_manifest(manifest)
    code, err = cli(["build", "--config", "tracks", "--tracks-dir", str(tracks), "--manifest", str(manifest),
                     "--out", str(tmp_path / "out")], capsys)
    assert_one_line_error(code, err, str(manifest), "UTF-8")


@pytest.mark.parametrize("line", ['["good1.npz", "p"]', '"good1.npz"', "42", "null", '{"prompt": "no file"}',
                                  '{"file": 7, "prompt": "p"}'])
def test_jsonl_rows_that_are_not_objects_name_file_and_line(tmp_path, tracks, capsys, line):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"file": "good1.npz", "prompt": "p"}\n\n' + line + "\n")
    with pytest.raises(ValueError, match=f"{manifest}:3: "):
        read_manifest(manifest)
    code, err = cli(["build", "--config", "tracks", "--tracks-dir", str(tracks), "--manifest", str(manifest),
                     "--out", str(tmp_path / "out")], capsys)
    assert_one_line_error(code, err, f"{manifest}:3:")


def test_duplicate_manifest_rows_are_rejected(tmp_path, tracks):
    manifest = write_jsonl(tmp_path / "m.jsonl", [
        {"file": "good1.npz", "prompt": "first"},
        {"file": "good1.npz", "prompt": "second"},
        {"file": "./good2.npz", "prompt": "third"},
        {"file": "good2.npz", "prompt": "fourth"},
    ])
    accepted, rejected = run_scan(tracks, manifest)
    assert [(item.key, item.prompt) for item in accepted] == [("good1.npz", "first"), ("good2.npz", "third")]
    assert set(rejected) == {"good1.npz", "good2.npz"} and all(r.startswith("duplicate") for r in rejected.values())
    out = tmp_path / "out"
    stats = build_corpus(out, "tracks", tracks_dir=str(tracks), manifest=str(manifest))
    assert stats["num_clips"] == 2 and [r["file"] for r in stats["rejected"]] == ["good1.npz", "good2.npz"]


def test_one_bad_tracker_file_is_rejected_and_the_build_goes_on(tmp_path, tracks, monkeypatch):
    import open3dfacevid.tracks

    real_read = open3dfacevid.tracks.read_tracker_file

    def read(path, **kwargs):  # any exception at all while reading one file
        if path.endswith("crash.npz"):
            raise TypeError("unexpected crash in a reader")
        return real_read(path, **kwargs)

    monkeypatch.setattr(open3dfacevid.tracks, "read_tracker_file", read)
    deca(tracks / "crash.npz")
    clip_file(tracks / "list_attributes.npz", [1, 2, 3])
    clip_file(tracks / "string_start.npz", {"events": [{"type": "blink", "start": "3", "end": 5}]})
    clip_file(tracks / "list_subject.npz", {"subject": {"label": ["not", "text"]}})
    clip_file(tracks / "nested_emotion.npz", {"emotions": [{"name": "joy"}]})
    clip_file(tracks / "fine_clip.npz", {"emotions": ["joy"], "subject": {"label": "person"}})
    (tracks / "garbage.pkl").write_bytes(b"\x80\x04garbage")
    names = ["crash.npz", "list_attributes.npz", "string_start.npz", "list_subject.npz", "nested_emotion.npz",
             "fine_clip.npz", "garbage.pkl", "good1.npz"]
    manifest = write_jsonl(tmp_path / "m.jsonl", [{"file": n, "prompt": "A face.", "captions": "[broken"}
                                                   if n == "good1.npz" else {"file": n, "prompt": "A face."}
                                                   for n in names])
    out = tmp_path / "out"
    stats = build_corpus(out, "tracks", tracks_dir=str(tracks), manifest=str(manifest))
    rejected = {r["file"]: r["reason"] for r in stats["rejected"]}
    # whether a string event 'start' is invalid is the clip validation's call; either way the build goes on
    string_start = {"string_start.npz"} - set(rejected)
    assert set(rejected) | string_start == {"crash.npz", "list_attributes.npz", "string_start.npz", "list_subject.npz",
                                            "nested_emotion.npz", "garbage.pkl", "good1.npz", "good2.npz"}
    assert rejected["crash.npz"] == "malformed: unexpected crash in a reader"
    assert "attributes" in rejected["list_attributes.npz"] and "start" in rejected.get("string_start.npz", "start")
    assert "subject" in rejected["list_subject.npz"]
    assert "emotion" in rejected["nested_emotion.npz"] and rejected["good1.npz"].startswith("captions")
    ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert {row["clip_id"] for split in ds for row in ds[split]} == {"fine_clip.npz"} | string_start
    assert [json.loads(line)["file"] for line in (out / "rejected.jsonl").read_text().splitlines()] == list(rejected)


# ----------------------------------------------------------------------------- 4: arguments and one-line errors
@pytest.mark.parametrize("argv, fragment", [
    (["build", "--num-clips", "0"], ">= 1"),
    (["build", "--num-clips", "-5"], ">= 1"),
    (["build", "--num-clips", "ten"], "integer"),
    (["build", "--num-shards", "0"], ">= 1"),
    (["build", "--min-frames", "-1"], ">= 1"),
    (["build", "--num-proc", "0"], ">= 1"),
    (["build", "--seed", "-1"], ">= 0"),
    (["build", "--min-seconds", "nan"], "finite"),
    (["build", "--max-seconds", "inf"], "finite"),
    (["build", "--min-seconds", "-2"], "> 0"),
    (["prompts", "--num", "-1"], ">= 1"),
    (["prompts", "--num", "3", "--paraphrases", "-1"], ">= 0"),
    (["prompts", "--num", "3", "--max-seconds", "nan"], "finite"),
])
def test_out_of_range_arguments_are_one_line_errors(tmp_path, capsys, argv, fragment):
    argv = argv + (["--out", str(tmp_path / "out")] if argv[0] == "build" else ["--out", str(tmp_path / "p.jsonl")])
    code, err = cli(argv, capsys)
    assert_one_line_error(code, err, fragment)
    assert not (tmp_path / "out").exists() and not (tmp_path / "p.jsonl").exists()


@pytest.mark.parametrize("command", ["build", "prompts"])
def test_min_seconds_above_max_seconds_is_a_one_line_error(tmp_path, capsys, command):
    out = tmp_path / ("out" if command == "build" else "p.jsonl")
    extra = ["--num-clips", "3"] if command == "build" else ["--num", "3"]
    code, err = cli([command, *extra, "--min-seconds", "6", "--max-seconds", "1", "--out", str(out)], capsys)
    assert_one_line_error(code, err, "min_seconds (6.0) must not exceed max_seconds (1.0)")
    assert not list(out.glob("*")) if out.is_dir() else not out.exists()


def test_python_callers_get_the_same_validation(tmp_path):
    with pytest.raises(ValueError, match="min_seconds"):
        spec_at(0, min_seconds=6.0, max_seconds=1.0)
    with pytest.raises(ValueError, match="max_seconds"):
        spec_at(0, max_seconds=float("nan"))
    for bad in ({"num_clips": 0}, {"num_shards": 0}, {"min_frames": -1}, {"num_clips": 2.5}, {"seed": -3},
                {"min_seconds": float("inf")}, {"fps": 0.0}, {"max_seconds": 10_000.0}):
        with pytest.raises(ValueError):
            Open3DFaceVid(config_name="procedural", cache_dir=str(tmp_path / "cache"), **bad)
        with pytest.raises(ValueError):
            build_corpus(tmp_path / "out", "procedural", **bad)
    with pytest.raises(ValueError, match="num_proc"):
        build_corpus(tmp_path / "out", "procedural", num_clips=3, num_proc=0)
    assert not list((tmp_path / "out").glob("*"))


def test_os_errors_are_one_line_errors_and_tracebacks_on_request(tmp_path, capsys, monkeypatch):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    code, err = cli(["build", "--num-clips", "3", "--out", str(a_file / "sub")], capsys)  # NotADirectoryError
    assert_one_line_error(code, err, str(a_file))
    code, err = cli(["build", "--config", "tracks", "--tracks-dir", str(a_file), "--manifest", str(a_file),
                     "--out", str(tmp_path / "out")], capsys)
    assert_one_line_error(code, err, "tracks folder")
    code, err = cli(["stats", str(tmp_path)], capsys)
    assert_one_line_error(code, err, "no Parquet shards")
    monkeypatch.setenv("TDMM_TRACEBACK", "1")
    with pytest.raises(FileNotFoundError):
        o3dfv(["stats", str(tmp_path)])
