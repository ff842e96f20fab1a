"""Benchmarks recorded in BENCHMARKS.md.  Run: ``make bench`` (or ``python benchmarks/run.py``).

* face model: frames/s for a 128-frame clip on a FLAME-sized model (5023 vertices, 300 shape +
  100 expression columns, pose correctives), ours vs smplx's FLAME layer in the same run;
* rendering: a 125-frame clip at 256x256 on open-head-v1 to MP4;
* corpus: a paper-scale procedural Open3DFaceVid build (57,200 clips) and streaming reads;
* geometry tokenizer: downsampling 1, 2 and 4 at the same codebook and CPU budget (the first demo
  recipe, ``tokenizer_variants.FIRST``: one 512-code book with a mesh loss), measured on the held-out
  test split; what the current recipe keeps is ``benchmarks/tokenizer_variants.py``'s;
* speed: Motion2Language describing and Language2Motion generating with the demo's models;
* arkit: ARKit-52 fit of the demo corpus's test clips (face-region re-synthesis error, the demo
  evaluator's emotion reading of the re-synthesised clips vs the originals, fit time, Live Link round trip);
* retarget: the demo corpus's test clips moved onto the face-like FLAME-format fixture and back
  (``synthetic_flame.face_like_flame_arrays``: open-head-v1 reordered, reshaped and with a mixed expression
  basis, so the right answer is known): vertex error each way, expression error, the demo evaluator's
  emotion reading after the round trip, registration and per-clip time.

What the models *mean* (every table of the paper) is measured by ``benchmarks/paper.py``, which trains the
variants it compares and writes the full ``python -m tdmm_eval report``.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def _timeit(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_face_model(frames: int = 128, repeats: int = 20) -> dict:
    import smplx

    from modeling_tdmm import FaceModel
    from modeling_tdmm.synthetic_flame import flame_like_arrays, write_plain_pickle, write_smplx_folder

    with tempfile.TemporaryDirectory() as tmp:
        arrays = flame_like_arrays()
        folder = write_smplx_folder(arrays, Path(tmp) / "flame")
        ours = FaceModel.load(write_plain_pickle(arrays, Path(tmp) / "generic_model.pkl"))
        reference = smplx.FLAME(model_path=str(folder), num_betas=300, num_expression_coeffs=50,
                                use_face_contour=False, batch_size=frames)
    g = torch.Generator().manual_seed(0)
    shape = torch.randn(300, generator=g)
    expr = torch.randn(frames, 50, generator=g)
    jaw = torch.randn(frames, 3, generator=g) * 0.2
    head = torch.randn(frames, 3, generator=g) * 0.3
    with torch.no_grad():
        t_ours = _timeit(lambda: ours(shape=shape, expression=expr, jaw_pose=jaw, head_pose=head), repeats)
        t_batched = _timeit(lambda: ours(shape=shape.expand(frames, -1), expression=expr, jaw_pose=jaw, head_pose=head), repeats)
        t_smplx = _timeit(lambda: reference(betas=shape.expand(frames, -1), expression=expr, jaw_pose=jaw, global_orient=head), repeats)
        diff = (ours(shape=shape, expression=expr, jaw_pose=jaw, head_pose=head)
                - reference(betas=shape.expand(frames, -1), expression=expr, jaw_pose=jaw, global_orient=head).vertices).abs().max()
    return {
        "frames": frames,
        "ours_fps": frames / t_ours,
        "ours_per_frame_identity_fps": frames / t_batched,
        "smplx_fps": frames / t_smplx,
        "speedup": t_smplx / t_ours,
        "max_abs_diff_m": float(diff),
    }


def bench_render(frames: int = 125, size: int = 256) -> dict:
    from modeling_tdmm import FaceModel
    from modeling_tdmm.video import render_clip, write_frames
    from tdmm_demo.stages import showcase_clip

    model = FaceModel.load("open-head-v1")
    clip = showcase_clip(model, seconds=frames / 25.0)
    render_clip(clip.resample(1.0), model, size=size)  # warm-up
    start = time.perf_counter()
    images = render_clip(clip, model, size=size)
    t_render = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_frames(images, Path(tmp) / "clip.mp4", clip.fps)
        t_encode = time.perf_counter() - start
    return {"frames": clip.num_frames, "size": size, "render_s": t_render, "encode_s": t_encode,
            "total_s": t_render + t_encode, "fps": clip.num_frames / (t_render + t_encode),
            "vertices": model.num_vertices, "faces": int(model.faces.shape[0])}


def bench_corpus(num_clips: int = 57_200, num_proc: int = 2, read_clips: int = 20_000) -> dict:
    import datasets

    from open3dfacevid.corpus import build_corpus

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        stats = build_corpus(Path(tmp) / "corpus", "procedural", num_clips=num_clips, seed=0, num_proc=num_proc)
        build_s = time.perf_counter() - start
        size = sum(p.stat().st_size for p in (Path(tmp) / "corpus").rglob("*") if p.is_file())
        stream = datasets.load_dataset(str(Path(tmp) / "corpus"), split="train", streaming=True).with_format("numpy")
        start = time.perf_counter()
        count = frames = 0
        for row in stream:
            count += 1
            frames += len(row["expression"])
            if count == read_clips:
                break
        read_s = time.perf_counter() - start
    return {"clips": stats["num_clips"], "hours": stats["hours"], "build_s": build_s, "clips_per_s": stats["num_clips"] / build_s,
            "size_mb": size / 1e6, "num_proc": num_proc, "stream_clips_per_s": count / read_s, "stream_frames_per_s": frames / read_s}


def bench_tokenizer(downsamples=(1, 2, 4), clips: int = 2000) -> dict:
    from tokenizer_variants import FIRST

    from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
    from open3dfacevid.loading import load_corpus
    from tdmm_eval.tokenizer_eval import evaluate_tokenizer
    from tdmm_train.launch import run_trainer

    test = load_corpus("procedural", num_clips=clips)["test"].with_format("numpy")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for down in downsamples:
            out = Path(tmp) / f"down{down}"
            start = time.perf_counter()
            run_trainer("train_tokenizer.py", "tokenizer.yaml", out, *FIRST, "--downsample", str(down), "--procedural_clips",
                        str(clips), "--save_strategy", "no", "--eval_strategy", "no")
            train_s = time.perf_counter() - start
            model = GeometryTokenizer.from_pretrained(out).eval()
            metrics = evaluate_tokenizer(model, test)
            metrics["train_s"] = train_s
            results[down] = metrics
    return results


def bench_speed(models: Path) -> dict:
    """Inference speed of the trained demo models in ``models``: Motion2Language describing test clips and
    Language2Motion generating with and without the KV cache and guidance (quality is the report's job)."""
    import datasets

    from modeling_tdmm.language2motion import DEFAULT_GUIDANCE, Language2Motion
    from modeling_tdmm.motion2language import Motion2Language
    from open3dfacevid.features import row_to_clip

    test = datasets.load_dataset(str(models / "corpus"), split="test").with_format("numpy")
    clips = [row_to_clip(test[i]) for i in range(min(64, len(test)))]
    prompts = [c.prompt for c in clips[:8]]
    result: dict = {}
    if (models / "m2l" / "config.json").is_file():
        m2l = Motion2Language.from_pretrained(models / "m2l")
        m2l.describe(clips[:4], batch_size=4)  # warm-up
        start = time.perf_counter()
        described = m2l.describe(clips, batch_size=16)
        seconds = time.perf_counter() - start
        generated = sum(len(m2l.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in described)
        result["m2l"] = {"clips": len(clips), "describe_s": seconds, "clips_per_s": len(clips) / seconds,
                         "generated_tokens_per_s": generated / seconds}
    if (models / "l2m" / "config.json").is_file():
        l2m = Language2Motion.from_pretrained(models / "l2m")
        speed = {}
        for name, kwargs, count in (("cache", {"guidance_scale": 1.0}, 8), ("no_cache", {"guidance_scale": 1.0, "use_cache": False}, 8),
                                    ("cache_guided", {"guidance_scale": DEFAULT_GUIDANCE}, 8),
                                    ("cache_guided_single_prompt", {"guidance_scale": DEFAULT_GUIDANCE}, 1)):
            tick = time.perf_counter()
            l2m.generate_codes(prompts[:count], num_frames=125, seed=0, **kwargs)
            speed[name] = count * 125 / (time.perf_counter() - tick)
        result["l2m_frames_per_s"] = speed
    return result


def bench_arkit(models: Path, max_clips: int = 200) -> dict:
    """ARKit-52 on the demo corpus's test clips: how well the 52 weights re-synthesise each clip (mean
    face-region vertex error), whether the demo evaluator reads the re-synthesised clip as the same emotion
    family, how long a fit takes, and the Live Link Face CSV round trip (export -> import -> export)."""
    import datasets
    import numpy as np

    from modeling_tdmm.arkit_io import read_live_link_csv, write_live_link_csv
    from modeling_tdmm.arkit_rig import ARKitRig
    from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
    from open3dfacevid.features import row_to_clip

    test = datasets.load_dataset(str(models / "corpus"), split="test").with_format("numpy")
    clips = [row_to_clip(test[i]) for i in range(min(max_clips, len(test)))]
    rig = ARKitRig.default()
    takes, errors, seconds = [], [], []
    for clip in clips:
        start = time.perf_counter()
        take = rig.fit(clip)
        seconds.append((time.perf_counter() - start) / clip.duration * 5.0)
        takes.append(take)
        errors.append(rig.resynthesis_error(clip, take) * 1000)
    replayed = [rig.to_clip(take, shape=clip.shape) for take, clip in zip(takes, clips)]
    evaluator = TextMotionEvaluator.from_pretrained(models / "evaluator")
    original = [r["emotion_family"] for r in evaluator.read_attributes(clips)]
    again = [r["emotion_family"] for r in evaluator.read_attributes(replayed)]
    single = [i for i, c in enumerate(clips) if len({e for e in c.attributes.get("emotions", []) if e != "neutral"}) <= 1]
    with tempfile.TemporaryDirectory() as folder:
        trips = []
        for take, clip in list(zip(takes, clips))[:20]:
            path = Path(folder) / "take.csv"
            write_live_link_csv(take, path)
            back = rig.fit(rig.to_clip(read_live_link_csv(path)))
            trips.append(float(np.abs(back.weights - take.weights).max()))
    frames_60 = clips[0].resample(60.0)
    return {"clips": len(clips), "error_mm_mean": float(np.mean(errors)), "error_mm_p95": float(np.percentile(errors, 95)),
            "error_mm_max": float(np.max(errors)),
            "same_family": float(np.mean([a == b for a, b in zip(original, again)])),
            "same_family_single_emotion": float(np.mean([original[i] == again[i] for i in single])),
            "fit_s_per_5s_clip_25fps": float(np.median(seconds)),
            "fit_s_5s_clip_60fps": _timeit(lambda: rig.fit(frames_60), 3) / frames_60.duration * 5.0,
            "round_trip_max_abs": max(trips)}


def bench_retarget(models: Path, max_clips: int = 200) -> dict:
    """Retargeting (``modeling_tdmm.retarget``) between open-head-v1 and the face-like FLAME-format fixture on the
    demo corpus's test clips: each clip's exact counterpart on the fixture is known (expression ``e @ mixing``),
    so both directions are measured against ground truth; the demo evaluator reads the clips that went to the
    fixture and back."""
    import datasets
    import numpy as np

    from modeling_tdmm.clip import FaceClip
    from modeling_tdmm.face_model import FaceModel
    from modeling_tdmm.retarget import Retargeter
    from modeling_tdmm.synthetic_flame import face_like_flame_arrays, write_chumpy_pickle, write_smirk_eyelids
    from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
    from open3dfacevid.features import row_to_clip

    test = datasets.load_dataset(str(models / "corpus"), split="test").with_format("numpy")
    clips = [row_to_clip(test[i]) for i in range(min(max_clips, len(test)))]
    head = FaceModel.load("open-head-v1")
    arrays, mixing, eyelids = face_like_flame_arrays()
    with tempfile.TemporaryDirectory() as folder:
        flame = FaceModel.load(write_chumpy_pickle(arrays, Path(folder) / "generic_model.pkl"))
        write_smirk_eyelids(eyelids, Path(folder))
        flame_lids = FaceModel.load(Path(folder) / "generic_model.pkl")
    start = time.perf_counter()
    to_flame, to_head = Retargeter(head, flame), Retargeter(flame, head)
    register_s = (time.perf_counter() - start) / 2
    to_lids = Retargeter(head, flame_lids, to_flame.correspondence)
    from_lids = Retargeter(flame_lids, head, to_head.correspondence)

    def on_flame(clip: FaceClip) -> FaceClip:
        return FaceClip(expression=(clip.expression.astype(np.float64) @ mixing).astype(np.float32), jaw_pose=clip.jaw_pose,
                        eyelids=np.zeros_like(clip.eyelids), head_pose=clip.head_pose, shape=np.zeros(300, np.float32),
                        fps=clip.fps, face_model=flame.name)

    def error_mm(model: FaceModel, got: FaceClip, want: FaceClip) -> float:
        """Mean vertex distance (mm) over the face region: vertices some expression shape moves 0.1 mm or more."""
        region = (model.offsets("expression").norm(dim=2).amax(0) > 1e-4).numpy()
        return 1000 * float(np.linalg.norm(model.clip_vertices(got) - model.clip_vertices(want), axis=2)[:, region].mean())

    there, back, coefficients, seconds, residual_share, round_trips, lid_trips = [], [], [], [], [], [], []
    for clip in clips:
        plain = FaceClip(**{**clip.motion(), "eyelids": np.zeros_like(clip.eyelids)}, shape=np.zeros(0), fps=clip.fps)
        tick = time.perf_counter()
        moved, report = to_head.retarget(on_flame(clip))
        seconds.append((time.perf_counter() - tick) / clip.duration * 5.0)
        moved.shape = np.zeros(0, np.float32)
        back.append(error_mm(head, moved, plain))
        coefficients.append(float(np.abs(moved.expression - clip.expression).mean()))
        residual_share.append(report.residual_mm / max(report.motion_mm, 1e-9))
        sent, _ = to_flame.retarget(plain)
        there.append(error_mm(flame, sent, on_flame(clip)))
        trip, _ = to_head.retarget(to_flame.retarget(clip)[0])  # blinks too: folded into the fixture's expression and back
        round_trips.append(trip)
        lid_trips.append(from_lids.retarget(to_lids.retarget(clip)[0])[0])  # with SMIRK's eyelid files: lids copied
    evaluator = TextMotionEvaluator.from_pretrained(models / "evaluator")
    original = [r["emotion_family"] for r in evaluator.read_attributes(clips)]
    again = [r["emotion_family"] for r in evaluator.read_attributes(round_trips)]
    again_lids = [r["emotion_family"] for r in evaluator.read_attributes(lid_trips)]
    return {"clips": len(clips), "face_region_vertices": int((head.offsets("expression").norm(dim=2).amax(0) > 1e-4).sum()),
            "to_open_head_error_mm_mean": float(np.mean(back)), "to_open_head_error_mm_max": float(np.max(back)),
            "to_open_head_coefficient_error_mean": float(np.mean(coefficients)),
            "to_flame_error_mm_mean": float(np.mean(there)), "to_flame_error_mm_max": float(np.max(there)),
            "residual_share_mean": float(np.mean(residual_share)),
            "round_trip_same_family": float(np.mean([a == b for a, b in zip(original, again)])),
            "round_trip_with_eyelids_same_family": float(np.mean([a == b for a, b in zip(original, again_lids)])),
            "round_trip_with_eyelids_expression_error": float(np.mean([np.abs(t.expression - c.expression).mean()
                                                                       for t, c in zip(lid_trips, clips)])),
            "register_s": register_s, "retarget_s_per_5s_clip": float(np.median(seconds)),
            "used_vertices": int(to_head.correspondence.used.sum()), "target_vertices": head.num_vertices}


SECTIONS = ("face_model", "render", "corpus", "tokenizer", "speed", "arkit", "retarget")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=None, help="run these sections (results.json keeps the others)")
    parser.add_argument("--skip-corpus", action="store_true", help="leave out the paper-scale corpus build (~1 min)")
    parser.add_argument("--skip-tokenizer", action="store_true", help="leave out training 3 tokenizers (~12 min)")
    parser.add_argument("--models", type=Path, default=ROOT / "outputs" / "demo",
                        help="speed: trained demo models (make demo; benchmarks/paper.py scores them)")
    args = parser.parse_args()
    sections = set(args.only or SECTIONS)
    sections -= {"corpus"} if args.skip_corpus else set()
    sections -= {"tokenizer"} if args.skip_tokenizer else set()
    args.out.mkdir(parents=True, exist_ok=True)
    file = args.out / "results.json"
    results = json.loads(file.read_text()) if file.exists() else {}
    results["machine"] = {"python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "cpu": platform.processor() or platform.machine()}
    for name, run in (("face_model", bench_face_model), ("render", bench_render), ("corpus", bench_corpus), ("tokenizer", bench_tokenizer)):
        if name in sections:
            results[name] = run()
    if "speed" in sections:
        results["speed"] = bench_speed(args.models)
    if "arkit" in sections:
        results["arkit"] = bench_arkit(args.models)
    if "retarget" in sections:
        results["retarget"] = bench_retarget(args.models)
    file.write_text(json.dumps(results, indent=2, default=str))
    report(results)
    print(f"results: {file}")


def report(results: dict) -> None:
    """Print the tables of BENCHMARKS.md from ``results``."""
    if "face_model" in results and "render" in results:
        _report_basics(results)
    if "speed" in results:
        sp = results["speed"]
        if "m2l" in sp:
            m = sp["m2l"]
            print(f"\nM2L: described {m['clips']} clips in {m['describe_s']:.1f} s ({m['clips_per_s']:.1f} clips/s, "
                  f"{m['generated_tokens_per_s']:.0f} generated tokens/s)")
        if "l2m_frames_per_s" in sp:
            f = sp["l2m_frames_per_s"]
            print(f"L2M frames of motion per second: KV cache {f['cache']:.0f}, no cache {f['no_cache']:.0f}, "
                  f"cache + guidance {f['cache_guided']:.0f}, one prompt with guidance {f['cache_guided_single_prompt']:.0f}")


    if "arkit" in results:
        a = results["arkit"]
        print(f"\nARKit-52 on {a['clips']} demo test clips: re-synthesis error {a['error_mm_mean']:.3f} mm mean "
              f"(p95 {a['error_mm_p95']:.3f}, max {a['error_mm_max']:.3f}); evaluator reads the same emotion family "
              f"{100 * a['same_family']:.1f}% ({100 * a['same_family_single_emotion']:.1f}% of single-emotion clips); "
              f"fit of a 5 s clip {a['fit_s_per_5s_clip_25fps']:.3f} s at 25 fps, {a['fit_s_5s_clip_60fps']:.3f} s at 60 fps; "
              f"Live Link round trip max weight difference {a['round_trip_max_abs']:.1e}")


    if "retarget" in results:
        r = results["retarget"]
        print(f"\nRetargeting on {r['clips']} demo test clips (face-like FLAME-format fixture, known answer): "
              f"fixture -> open-head-v1 vertex error {r['to_open_head_error_mm_mean']:.3f} mm mean over the "
              f"{r['face_region_vertices']} face-region vertices "
              f"(max {r['to_open_head_error_mm_max']:.3f}), expression error {r['to_open_head_coefficient_error_mean']:.4f}; "
              f"open-head-v1 -> fixture {r['to_flame_error_mm_mean']:.3f} mm (max {r['to_flame_error_mm_max']:.3f}); "
              f"unexplained motion {100 * r['residual_share_mean']:.1f}%; evaluator reads the round trip open-head-v1 -> "
              f"fixture -> open-head-v1 as the same family {100 * r['round_trip_with_eyelids_same_family']:.1f}% with SMIRK's "
              f"eyelid files beside the model (expression error {r['round_trip_with_eyelids_expression_error']:.4f}), "
              f"{100 * r['round_trip_same_family']:.1f}% without them; registration {r['register_s']:.1f} s, "
              f"{r['retarget_s_per_5s_clip']:.3f} s per 5 s clip; {r['used_vertices']} of {r['target_vertices']} vertices used")


def _report_basics(results: dict) -> None:
    fm, rd = results["face_model"], results["render"]
    print("| benchmark | result |\n|---|---|")
    print(f"| face model, 128-frame clip, FLAME-sized: ours (identity shaped once) | {fm['ours_fps']:.0f} frames/s |")
    print(f"| face model, same, identity per frame | {fm['ours_per_frame_identity_fps']:.0f} frames/s |")
    print(f"| face model, smplx FLAME layer (300 shape, 50 expression) | {fm['smplx_fps']:.0f} frames/s |")
    print(f"| speed-up over smplx | {fm['speedup']:.1f}x (max vertex difference {fm['max_abs_diff_m']:.1e} m) |")
    print(f"| render {rd['frames']} frames at {rd['size']}x{rd['size']} + MP4 encode | {rd['total_s']:.2f} s "
          f"(render {rd['render_s']:.2f} s, encode {rd['encode_s']:.2f} s; {rd['fps']:.0f} frames/s) |")
    if "corpus" in results:
        c = results["corpus"]
        print(f"| paper-scale corpus: {c['clips']} clips, {c['hours']:.1f} h, {c['num_proc']} processes | {c['build_s']:.1f} s "
              f"({c['clips_per_s']:.0f} clips/s), {c['size_mb']:.0f} MB on disk |")
        print(f"| streaming read (numpy rows) | {c['stream_clips_per_s']:.0f} clips/s, {c['stream_frames_per_s']:.0f} frames/s |")
    if "tokenizer" in results:
        print("\n| frames per token | mean / p95 vertex error (mm) | param L2 | codes used | perplexity | blink precision / recall | tokens/s | encode / decode frames/s |")
        print("|---|---|---|---|---|---|---|---|")
        for down, m in results["tokenizer"].items():
            print(f"| {down} | {m['mean_vertex_error_mm']:.2f} / {m['p95_vertex_error_mm']:.2f} | {m['param_l2']:.3f} | "
                  f"{m['codes_used_pct']:.0f}% | {m['perplexity']:.0f} | {m['blink_precision']:.2f} / {m['blink_recall']:.2f} | "
                  f"{m['tokens_per_second']:.1f} | {m['encode_frames_per_s']:.0f} / {m['decode_frames_per_s']:.0f} |")


if __name__ == "__main__":
    main()
