"""Benchmarks recorded in BENCHMARKS.md.  Run: ``make bench`` (or ``python benchmarks/run.py``).

* face model: frames/s for a 128-frame clip on a FLAME-sized model (5023 vertices, 300 shape +
  100 expression columns, pose correctives), ours vs smplx's FLAME layer in the same run;
* rendering: a 125-frame clip at 256x256 on open-head-v1 to MP4;
* corpus: a paper-scale procedural Open3DFaceVid build (57,200 clips) and streaming reads;
* geometry tokenizer: downsampling 1, 2 and 4 at the same codebook and CPU budget
  (trainers/configs/tokenizer.yaml), measured on the held-out test split.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
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


VIDEO_LLM_TOKENS_PER_FRAME = (300, 500)  # visual tokens per frame cited by the paper


def bench_tokenizer(downsamples=(1, 2, 4), clips: int = 2000) -> dict:
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
            run_trainer("train_tokenizer.py", "tokenizer.yaml", out, "--downsample", str(down), "--procedural_clips",
                        str(clips), "--save_strategy", "no", "--eval_strategy", "no")
            train_s = time.perf_counter() - start
            model = GeometryTokenizer.from_pretrained(out).eval()
            metrics = evaluate_tokenizer(model, test)
            metrics["train_s"] = train_s
            results[down] = metrics
    return results


def _text_metrics(predictions: list[str], references: list[list[str]]) -> dict:
    from tdmm_eval.text_metrics import load_text_metric

    bleu, rouge = load_text_metric("bleu4"), load_text_metric("rouge_l")
    return {"bleu4": bleu.compute(predictions=predictions, references=references)["bleu4"],
            "rougeL": 100 * rouge.compute(predictions=predictions, references=references)["rougeL"]}


def _scores(predictions: list[str], test) -> dict:
    from tdmm_eval.description_scores import attribute_accuracy

    attributes = [json.loads(str(a)) for a in test["attributes"]]
    scores = attribute_accuracy(predictions, attributes)
    scores.update(_text_metrics(predictions, [list(c) for c in test["captions"]]))
    return scores


def bench_m2l(tokenizer_dir: Path | None, m2l_dir: Path | None, clips: int = 2000, max_test: int = 200) -> dict:
    """Train (unless given) a geometry tokenizer and the default M2L, then score descriptions of the test split."""
    from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
    from modeling_tdmm.motion2language import Motion2Language
    from modeling_tdmm.motion_data import encode_rows
    from open3dfacevid.features import row_to_clip
    from open3dfacevid.loading import load_corpus
    from tdmm_eval.description_baselines import MajorityDescription, NearestCaption
    from tdmm_eval.description_scores import attribute_accuracy, judge
    from tdmm_train.launch import run_trainer

    work = Path(tempfile.mkdtemp(prefix="tdmm-bench-m2l-"))
    result: dict = {}
    if tokenizer_dir is None:
        tokenizer_dir = work / "tokenizer"
        run_trainer("train_tokenizer.py", "tokenizer.yaml", tokenizer_dir, "--procedural_clips", str(clips),
                    "--save_strategy", "no", "--eval_strategy", "no")
    if m2l_dir is None:
        m2l_dir = work / "m2l"
        start = time.perf_counter()
        run_trainer("sft_m2l.py", "m2l.yaml", m2l_dir, "--geometry_tokenizer", str(tokenizer_dir), "--procedural_clips", str(clips),
                    "--save_strategy", "no", "--eval_strategy", "no", processes=2, batch_size=16)
        result["train_s"] = time.perf_counter() - start
    corpus = load_corpus("procedural", num_clips=clips)
    train, test = corpus["train"].with_format("numpy"), corpus["test"].with_format("numpy")
    test = test.select(range(min(max_test, len(test))))
    geometry = GeometryTokenizer.from_pretrained(tokenizer_dir).eval()
    train_codes, test_codes = encode_rows(train, geometry), encode_rows(test, geometry)
    train_captions = [list(c) for c in train["captions"]]

    def judged(text: str) -> tuple:
        return tuple(judge(text).values())

    majority = MajorityDescription(train_captions, judged).predict(len(test))
    nearest = NearestCaption(train_codes, train_captions, geometry.config.codebook_size).predict(test_codes)
    result["majority"] = _scores(majority, test)
    result["nearest_neighbour"] = _scores(nearest, test)

    m2l = Motion2Language.from_pretrained(m2l_dir)
    clips_ = [row_to_clip(row) for row in test]
    start = time.perf_counter()
    described = m2l.describe(clips_, batch_size=16)
    describe_s = time.perf_counter() - start
    result["m2l"] = _scores(described, test)
    emotion_answers = m2l.describe(clips_, question="What emotion does the person show?", batch_size=16)
    result["m2l"]["emotion_when_asked"] = attribute_accuracy(emotion_answers, [json.loads(str(a)) for a in test["attributes"]])["emotion"]
    generated = sum(len(m2l.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in described)
    prompt_tokens = sum(len(c) for c in test_codes)
    seconds = sum(len(r["expression"]) / float(r["fps"]) for r in test)
    result["speed"] = {"clips": len(test), "describe_s": describe_s, "clips_per_s": len(test) / describe_s,
                       "generated_tokens_per_s": generated / describe_s, "face_tokens_per_s_of_motion": prompt_tokens / seconds}
    result["examples"] = [{"truth": str(test[i]["captions"][0]), "m2l": described[i], "nearest": nearest[i]} for i in range(5)]
    result["tokenizer_dir"], result["m2l_dir"] = str(tokenizer_dir), str(m2l_dir)
    return result


def bench_l2m(tokenizer_dir: Path, l2m_dirs: dict[str, Path | None], m2l_dir: Path | None, clips: int = 2000,
              guidance: float | None = None, max_test: int = 200) -> dict:
    """Train (unless given) Language2Motion with word_prefix and global conditioning; measure on the test split."""
    from modeling_tdmm.language2motion import DEFAULT_GUIDANCE
    from tdmm_train.launch import run_trainer

    guidance = DEFAULT_GUIDANCE if guidance is None else guidance

    from modeling_tdmm.language2motion import Language2Motion
    from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
    from modeling_tdmm.motion_data import encode_rows
    from open3dfacevid.attributes import emotion_family
    from open3dfacevid.features import row_to_clip
    from open3dfacevid.loading import load_corpus
    from tdmm_eval.description_baselines import NearestCaption
    from tdmm_eval.description_scores import truth_of
    from tdmm_eval.l2m_eval import (
        frechet_distance,
        generate_like,
        keyword_swaps,
        motion_features,
        param_l2,
        teacher_forced_accuracy,
    )

    corpus = load_corpus("procedural", num_clips=clips)
    train, test = corpus["train"].with_format("numpy"), corpus["test"].with_format("numpy")
    test = test.select(range(min(max_test, len(test))))
    geometry = GeometryTokenizer.from_pretrained(tokenizer_dir).eval()
    train_codes = encode_rows(train, geometry)
    test_codes = encode_rows(test, geometry)
    knn = NearestCaption(train_codes, [list(c) for c in train["captions"]], geometry.config.codebook_size)
    prompts = [str(p) for p in test["prompt"]]
    frames = [len(r["expression"]) for r in test]
    truth = [truth_of(json.loads(str(a)))["emotion"] for a in test["attributes"]]
    real_features = np.stack([motion_features(r) for r in test])
    train_features = np.stack([motion_features(train[i]) for i in range(min(len(train), 500))])
    m2l = None
    if m2l_dir is not None:
        from modeling_tdmm.motion2language import Motion2Language

        m2l = Motion2Language.from_pretrained(m2l_dir)

    def judges(clips_: list) -> dict[str, list[str]]:
        codes = [geometry_codes(c) for c in clips_]
        out = {"knn": [emotion_family(t) for t in knn.predict(codes)]}
        if m2l is not None:
            out["m2l"] = [emotion_family(t) for t in m2l.describe(clips_, question="What emotion does the person show?", batch_size=16)]
        return out

    def geometry_codes(clip) -> np.ndarray:
        return encode_rows([{k: getattr(clip, k) for k in ("expression", "jaw_pose", "eyelids", "head_pose", "shape")}], geometry)[0]

    def accuracy(guesses: list[str], answers: list[str]) -> float:
        return float(np.mean([g == a for g, a in zip(guesses, answers)]))

    real_judged = judges([row_to_clip(r) for r in test])
    result: dict = {"test_clips": len(test), "guidance_scale": guidance,
                    "judge_accuracy_on_real_clips": {k: accuracy(v, truth) for k, v in real_judged.items()},
                    "fd_real_train_vs_test": frechet_distance(train_features, real_features)}
    swaps = keyword_swaps(prompts)
    work = Path(tempfile.mkdtemp(prefix="tdmm-bench-l2m-"))
    for conditioning, folder in l2m_dirs.items():
        entry: dict = {}
        if folder is None:
            folder = work / f"l2m_{conditioning}"  # not "global": a Python keyword breaks remote-code module names
            start = time.perf_counter()
            run_trainer("train_l2m.py", "l2m.yaml", folder, "--geometry_tokenizer", str(tokenizer_dir), "--procedural_clips",
                        str(clips), "--conditioning", conditioning, "--save_strategy", "no", "--eval_strategy", "no",
                        processes=2, batch_size=32)
            entry["train_s"] = time.perf_counter() - start
        l2m = Language2Motion.from_pretrained(folder, geometry_tokenizer=tokenizer_dir)
        entry["token_accuracy"] = teacher_forced_accuracy(l2m.model, l2m.text_tokenizer, test_codes, prompts)
        generated = generate_like(l2m, prompts, frames, guidance, seed=0)
        entry["param_l2"] = float(np.mean([param_l2(g, row_to_clip(r)) for g, r in zip(generated, test)]))
        entry["fd"] = frechet_distance(np.stack([motion_features(g) for g in generated]), real_features)
        entry["emotion_accuracy"] = {k: accuracy(v, truth) for k, v in judges(generated).items()}
        original = generate_like(l2m, [a for a, _, _ in swaps], [125] * len(swaps), guidance, seed=1)
        swapped = generate_like(l2m, [b for _, b, _ in swaps], [125] * len(swaps), guidance, seed=1)
        judged_a, judged_b = judges(original), judges(swapped)
        entry["keyword_swap"] = {k: {"pairs": len(swaps), "swapped_to_target": accuracy(judged_b[k], [t for _, _, t in swaps]),
                                     "judgement_changed": float(np.mean([x != y for x, y in zip(judged_a[k], judged_b[k])]))}
                                 for k in judged_a}
        speed = {}
        for use_cache in (True, False):
            tick = time.perf_counter()
            l2m.generate_codes(prompts[:8], num_frames=125, guidance_scale=1.0, seed=0, use_cache=use_cache)
            speed["cache" if use_cache else "no_cache"] = 8 * 125 / (time.perf_counter() - tick)
        tick = time.perf_counter()
        l2m.generate_codes(prompts[:8], num_frames=125, guidance_scale=guidance, seed=0)
        speed["cache_guided"] = 8 * 125 / (time.perf_counter() - tick)
        tick = time.perf_counter()
        l2m.generate_codes(prompts[:1], num_frames=125, guidance_scale=guidance, seed=0)
        speed["cache_guided_single_prompt"] = 125 / (time.perf_counter() - tick)
        entry["frames_per_s"] = speed
        entry["examples"] = [{"prompt": a, "swapped": b, "judged": judged_a["knn"][i], "judged_swapped": judged_b["knn"][i]}
                             for i, (a, b, _) in enumerate(swaps[:4])]
        result[conditioning] = entry
    return result


SECTIONS = ("face_model", "render", "corpus", "tokenizer", "m2l", "l2m")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=None, help="run these sections (results.json keeps the others)")
    parser.add_argument("--skip-corpus", action="store_true", help="leave out the paper-scale corpus build (~1 min)")
    parser.add_argument("--skip-tokenizer", action="store_true", help="leave out training 3 tokenizers (~12 min)")
    parser.add_argument("--tokenizer", type=Path, default=None, help="M2L/L2M: use this trained geometry tokenizer instead of training one")
    parser.add_argument("--m2l", type=Path, default=None, help="M2L: score this trained model instead of training one")
    parser.add_argument("--l2m-word-prefix", type=Path, default=None, help="L2M: use this word_prefix model instead of training one")
    parser.add_argument("--l2m-global", type=Path, default=None, help="L2M: use this global model instead of training one")
    parser.add_argument("--l2m-conditionings", nargs="+", choices=("word_prefix", "global"), default=["word_prefix", "global"])
    parser.add_argument("--guidance", type=float, default=None, help="L2M: classifier-free guidance scale (default: the package's)")
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
    if "m2l" in sections:
        results["m2l"] = bench_m2l(args.tokenizer, args.m2l)
        args.tokenizer = args.tokenizer or Path(results["m2l"]["tokenizer_dir"])
        args.m2l = args.m2l or Path(results["m2l"]["m2l_dir"])
    if "l2m" in sections:
        if args.tokenizer is None:
            raise SystemExit("--only l2m needs --tokenizer DIR (a trained geometry tokenizer), or run it with m2l")
        given = {"word_prefix": args.l2m_word_prefix, "global": args.l2m_global}
        results["l2m"] = bench_l2m(args.tokenizer, {c: given[c] for c in args.l2m_conditionings}, args.m2l, guidance=args.guidance)
    file.write_text(json.dumps(results, indent=2, default=str))
    report(results)
    print(f"results: {file}")


def report(results: dict) -> None:
    """Print the tables of BENCHMARKS.md from ``results``."""
    if "face_model" in results and "render" in results:
        _report_basics(results)
    if "m2l" in results:
        m = results["m2l"]
        print("\n| describer | emotion family | head motion | intensity | BLEU-4 | ROUGE-L |\n|---|---|---|---|---|---|")
        for name in ("majority", "nearest_neighbour", "m2l"):
            r = m[name]
            print(f"| {name} | {100 * r['emotion']:.1f}% | {100 * r['head_motion']:.1f}% | {100 * r['intensity']:.1f}% | "
                  f"{r['bleu4']:.1f} | {r['rougeL']:.1f} |")
        sp = m["speed"]
        low, high = VIDEO_LLM_TOKENS_PER_FRAME
        print(f"M2L emotion when asked directly: {100 * m['m2l']['emotion_when_asked']:.1f}%")
        print(f"prompt: {sp['face_tokens_per_s_of_motion']:.1f} face tokens per second of motion vs {25 * low}-{25 * high} "
              f"(video LLM, 25 fps) or {2 * low}-{2 * high} (2 fps sampling); describing {sp['clips']} clips took "
              f"{sp['describe_s']:.1f} s ({sp['clips_per_s']:.1f} clips/s, {sp['generated_tokens_per_s']:.0f} generated tokens/s)")
    if "l2m" in results:
        m = results["l2m"]
        print(f"\njudges on real test clips: {json.dumps(m['judge_accuracy_on_real_clips'])}; FD real train vs test {m['fd_real_train_vs_test']:.2f}")
        print("| conditioning | Tok | param L2 | FD | emotion (judge: knn / m2l) | keyword swap to target (knn / m2l) | frames/s cache / no cache / guided |")
        print("|---|---|---|---|---|---|---|")
        for name in ("word_prefix", "global"):
            if name not in m:
                continue
            r = m[name]
            emo = " / ".join(f"{100 * v:.0f}%" for v in r["emotion_accuracy"].values())
            swap = " / ".join(f"{100 * v['swapped_to_target']:.0f}%" for v in r["keyword_swap"].values())
            f = r["frames_per_s"]
            print(f"| {name} | {100 * r['token_accuracy']:.1f}% | {r['param_l2']:.3f} | {r['fd']:.2f} | {emo} | {swap} | "
                  f"{f['cache']:.0f} / {f['no_cache']:.0f} / {f['cache_guided']:.0f} |")


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
        low, high = VIDEO_LLM_TOKENS_PER_FRAME
        print(f"video LLM at 25 fps: {25 * low}-{25 * high} tokens/s; at 2 fps sampling: {2 * low}-{2 * high} tokens/s")


if __name__ == "__main__":
    main()
