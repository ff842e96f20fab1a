"""The stages of ``make demo``: the offline CPU walk-through, stage by stage, resumable.

Every stage writes under the output folder and records a completion marker listing its
files; a second run skips stages whose outputs are all present.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.face_model import FaceModel
from modeling_tdmm.io_utils import atomic_path
from modeling_tdmm.m2l_prompt import EMOTION_QUESTION
from tdmm_train.launch import run_trainer


def _envelope(t: np.ndarray, start: float, end: float, ramp: float) -> np.ndarray:
    """0 -> 1 -> 0 with smooth (raised-cosine) ramps of ``ramp`` seconds."""
    up = np.clip((t - start) / ramp, 0, 1)
    down = np.clip((end - t) / ramp, 0, 1)
    return (0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down)))


def showcase_clip(model: FaceModel, seconds: float = 5.0, fps: float = 25.0) -> FaceClip:
    """A scripted clip that exercises the rig: smile, blinks, speech-like jaw, surprise, a head turn."""
    t = np.arange(int(seconds * fps)) / fps
    names = model.expression_names or []
    expr = np.zeros((len(t), 50), np.float32)

    def add(name: str, weight: np.ndarray) -> None:
        if name in names:
            expr[:, names.index(name)] += weight

    smile = _envelope(t, 0.2, 2.0, 0.4)
    for au in ("AU6_L", "AU6_R", "AU12_L", "AU12_R"):
        add(au, 0.9 * smile)
    add("AU25", 0.6 * smile)
    surprise = _envelope(t, 2.6, 4.2, 0.25)
    for au in ("AU1_L", "AU1_R", "AU2_L", "AU2_R", "AU5_L", "AU5_R"):
        add(au, surprise)
    jaw = np.zeros((len(t), 3), np.float32)
    jaw[:, 0] = 0.22 * surprise + 0.06 * smile * (0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t))
    lids = np.zeros((len(t), 2), np.float32)
    for start in (1.1, 2.3, 4.5):
        lids += _envelope(t, start, start + 0.16, 0.06)[:, None]
    head = np.zeros((len(t), 3), np.float32)
    head[:, 1] = 0.35 * np.sin(2 * np.pi * t / seconds)
    head[:, 0] = -0.12 * surprise
    return FaceClip(expression=expr, jaw_pose=jaw, eyelids=np.clip(lids, 0, 1), head_pose=head,
                    shape=np.zeros(model.num_shape, np.float32), fps=fps, clip_id="showcase",
                    prompt="A person smiles, blinks, raises the brows in surprise and turns the head.",
                    source="scripted", face_model=model.name)


def stage_face_model(out: Path) -> list[Path]:
    """Contact sheets of open-head-v2 (its FACS shapes, its ARKit-52 shapes, its subjects), an MP4 of a short
    clip on it, and that clip as an animated glTF and as ARKit weights (Live Link Face CSV)."""
    from modeling_tdmm.arkit_io import write_live_link_csv
    from modeling_tdmm.arkit_rig import ARKitRig
    from modeling_tdmm.gltf import clip_to_glb
    from modeling_tdmm.showcase import contact_sheet, subject_sheet
    from modeling_tdmm.video import render_clip, write_frames

    folder = out / "face_model"
    model = FaceModel.load("open-head-v2")
    sheet = folder / "open-head-v2_contact_sheet.png"
    count = contact_sheet(model, sheet, tile=224)
    print(f"  contact sheet: {count} shapes -> {sheet}")
    subjects = folder / "subjects_contact_sheet.png"
    count = subject_sheet(model, subjects)
    print(f"  subjects: {count} -> {subjects}")
    rig = ARKitRig(model)
    arkit_sheet = folder / "arkit52_contact_sheet.png"
    contact_sheet(model, arkit_sheet, tile=224, poses=rig.poses())
    print(f"  ARKit-52 shapes: {arkit_sheet}")
    clip = showcase_clip(model)
    clip_path = folder / "showcase_clip.npz"
    clip.save(clip_path)
    frames = render_clip(clip, model, size=320, side_view=True, caption=clip.prompt, progress=True)
    video = write_frames(frames, folder / "showcase.mp4", clip.fps)
    glb = folder / "showcase.glb"
    clip_to_glb(clip, model, glb)
    take = folder / "showcase_arkit.csv"
    write_live_link_csv(rig.fit(clip), take)
    print(f"  video: {video}\n  glTF:  {glb}\n  ARKit: {take} (Live Link Face CSV)")
    return [sheet, arkit_sheet, subjects, clip_path, video, glb, take]


def stage_corpus(out: Path, num_clips: int = 2000) -> list[Path]:
    """A small procedural Open3DFaceVid corpus and a few rendered, labelled clips from it."""
    import datasets

    from modeling_tdmm.video import render_clip, write_frames
    from open3dfacevid.corpus import build_corpus
    from open3dfacevid.features import row_to_clip

    folder = out / "corpus"
    stats = build_corpus(folder, "procedural", num_clips=num_clips, seed=0, num_shards=2)
    print(f"  corpus: {stats['num_clips']} clips, {stats['hours']:.2f} h -> {folder}")
    test = datasets.load_dataset(str(folder), split="test").with_format("numpy")
    model = FaceModel.load("open-head-v2")
    outputs = [folder / "README.md", folder / "stats.png"]
    chosen: dict[str, int] = {}
    for i, row in enumerate(test):  # one clip per focus category, plus an emotion transition
        attributes = json.loads(str(row["attributes"]))
        key = "transition" if len(attributes["emotions"]) > 1 else str(row["focus"])
        chosen.setdefault(key, i)
        if len(chosen) == 4:
            break
    for key, i in sorted(chosen.items()):
        clip = row_to_clip(test[i])
        frames = render_clip(clip, model, size=256, side_view=True, caption=clip.captions[0])
        path = write_frames(frames, folder / "renders" / f"{key}_{clip.clip_id}.mp4", clip.fps)
        print(f"  {key}: {clip.prompt}\n    -> {path}")
        outputs.append(path)
    return outputs


def stage_tokenizer(out: Path) -> list[Path]:
    """Train the small geometry tokenizer on the demo corpus; render original vs reconstruction."""
    import datasets
    import numpy as np

    from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
    from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
    from modeling_tdmm.video import render_clip, write_frames
    from open3dfacevid.features import row_to_clip

    folder = out / "tokenizer"
    run_trainer("train_tokenizer.py", "tokenizer.yaml", folder, "--dataset_name", str(out / "corpus"))
    model = GeometryTokenizer.from_pretrained(folder).eval()
    processor = FaceTokenProcessor.for_tokenizer(model)
    metrics = json.loads((folder / "eval_results.json").read_text())
    print(f"  validation: {metrics['mean_vertex_error_mm']:.2f} mm mean / {metrics['p95_vertex_error_mm']:.2f} mm p95 "
          f"vertex error, {metrics['codes_used_pct']:.0f}% codes used, blink recall {metrics['blink_recall']:.2f}")
    test = datasets.load_dataset(str(out / "corpus"), split="test").with_format("numpy")
    blinky = max(range(min(len(test), 40)), key=lambda i: json.loads(str(test[i]["attributes"]))["blink_count"])
    clip = row_to_clip(test[blinky])
    codes = processor.clip_to_codes(clip)
    recon = processor.codes_to_clip(codes, fps=clip.fps, shape=clip.shape, num_frames=clip.num_frames, clip_id=clip.clip_id)
    face = FaceModel.load(model.config.face_model)
    left = render_clip(clip, face, size=256, caption=f"original: {clip.prompt.split('. ')[0]}")
    right = render_clip(recon, face, size=256,
                        caption=f"reconstruction from {len(codes)} face tokens ({np.unique(codes).size} distinct)")
    video = write_frames(np.concatenate([left, right], 2), folder / "original_vs_reconstruction.mp4", clip.fps)
    print(f"  tokens: {processor.codes_to_text(codes[:8])[:-len('<|face_end|>')]}...\n  video: {video}")
    return [folder / "config.json", folder / "model.safetensors", folder / "face_token_processor.json", video]


def stage_m2l(out: Path, shown: int = 4) -> list[Path]:
    """Fine-tune the default Motion2Language; describe a few test clips beside their ground truth."""
    import datasets

    from modeling_tdmm.motion2language import Motion2Language
    from open3dfacevid.features import row_to_clip

    folder = out / "m2l"
    run_trainer("sft_m2l.py", "m2l.yaml", folder, "--dataset_name", str(out / "corpus"),
                "--geometry_tokenizer", str(out / "tokenizer"), processes=2, batch_size=16)
    m2l = Motion2Language.from_pretrained(folder)
    test = datasets.load_dataset(str(out / "corpus"), split="test").with_format("numpy")
    clips = [row_to_clip(test[i]) for i in range(min(shown, len(test)))]
    described = m2l.describe(clips)
    emotions = m2l.describe(clips, question=EMOTION_QUESTION)
    report = []
    for clip, text, emotion in zip(clips, described, emotions):
        print(f"  {clip.clip_id}\n    ground truth: {clip.captions[0]}\n    M2L:          {text}\n    M2L, asked for the emotion: {emotion}")
        report.append({"clip_id": clip.clip_id, "ground_truth": list(clip.captions), "description": text, "emotion_answer": emotion})
    path = folder / "demo_descriptions.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(report, indent=2))
    return [folder / "config.json", folder / "model.safetensors", folder / "tokenizer.json", path]


DEMO_PROMPTS = (  # the first two differ in one word
    ("happy", "A young woman looks extremely happy, nodding the head. A steady frontal shot."),
    ("angry", "A young woman looks extremely angry, nodding the head. A steady frontal shot."),
    ("sad", "An elderly man looks clearly sad, holding the head steady. The camera is static."),
    ("surprised", "A middle-aged person looks strongly surprised and blinks twice. The camera is static."),
)


def stage_l2m(out: Path, seconds: float = 5.0) -> list[Path]:
    """Train the default Language2Motion; render clips generated for a few prompts, incl. a one-word swap."""
    from modeling_tdmm.language2motion import Language2Motion
    from modeling_tdmm.video import render_clip, write_frames

    folder = out / "l2m"
    run_trainer("train_l2m.py", "l2m.yaml", folder, "--dataset_name", str(out / "corpus"),
                "--geometry_tokenizer", str(out / "tokenizer"), processes=2, batch_size=32)
    l2m = Language2Motion.from_pretrained(folder)  # the geometry tokenizer comes from the model's config
    clips = l2m.generate([p for _, p in DEMO_PROMPTS], seconds=seconds, seed=0)
    face = FaceModel.load(clips[0].face_model)
    readings = _evaluator_readings(out, clips)
    m2l_answers = [""] * len(clips)
    if (out / "m2l" / "config.json").exists():
        from modeling_tdmm.motion2language import Motion2Language

        m2l_answers = Motion2Language.from_pretrained(out / "m2l").describe(clips, question=EMOTION_QUESTION)
    outputs, renders = [folder / "config.json", folder / "model.safetensors"], {}
    for (name, prompt), clip, answer, reading in zip(DEMO_PROMPTS, clips, m2l_answers, readings):
        clip.save(folder / "generated" / f"{name}.npz")
        renders[name] = render_clip(clip, face, size=256, side_view=True, caption=prompt.split(". ")[0])
        video = write_frames(renders[name], folder / "generated" / f"{name}.mp4", clip.fps)
        outputs += [folder / "generated" / f"{name}.npz", video]
        print(f"  {prompt}\n    -> {video}" + (f"\n    evaluator reads: {reading}" if reading else "")
              + (f"\n    M2L reads it as: {answer}" if answer else ""))
    pair = write_frames(np.concatenate([renders["happy"], renders["angry"]], 2), folder / "generated" / "one_word_swap_happy_vs_angry.mp4",
                        clips[0].fps)
    print(f"  one-word swap, side by side: {pair}")
    return outputs + [pair]


def _evaluator_readings(out: Path, clips: list[FaceClip]) -> list[str]:
    """One line per clip: what the demo's text-motion evaluator reads (empty without an evaluator)."""
    if not (out / "evaluator" / "config.json").exists():
        return [""] * len(clips)
    from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator

    readings = TextMotionEvaluator.from_pretrained(out / "evaluator").read_attributes(clips)
    return [f"{r['emotion_family']}, {r['intensity']}, head {r['head_motion']}" for r in readings]


def stage_evaluator(out: Path) -> list[Path]:
    """Train the text-motion evaluator that judges every model (its own procedural corpus, same seed: the demo
    corpus's test clips are in its test split too, never in its training data)."""
    folder = out / "evaluator"
    run_trainer("train_evaluator.py", "evaluator.yaml", folder)
    figures = json.loads((folder / "evaluator_results.json").read_text())["test"]
    print(f"  held-out: emotion family {100 * figures['emotion_family']:.1f}%, head motion {100 * figures['head_motion']:.1f}%, "
          f"intensity within one level {100 * figures['intensity_within_one']:.1f}%, "
          f"R@1 {100 * figures['r_precision']['top1']['mean']:.1f}% (chance 3.1%)")
    return [folder / "config.json", folder / "model.safetensors", folder / "evaluator_results.json"]


def stage_report(out: Path) -> list[Path]:
    """The quick evaluation report of the demo models (python -m tdmm_eval report --quick)."""
    from tdmm_eval.report import percent, run_report

    folder = out / "report"
    results = run_report(out, folder, quick=True, command=f"python -m tdmm_eval report --models {out} --out {folder} --quick")
    if "tokenizer" in results:
        kept = results["tokenizer"]["retained"]["emotion_family"]  # None where the originals read no family right
        print(f"  tokenizer keeps {percent(kept, 0)} of the evaluator's emotion reading (target >= 95%)")
    if "l2m" in results:
        row = results["l2m"]["rows"][results["l2m"]["main"]]
        real = results["l2m"]["rows"]["real motion"]
        print(f"  Language2Motion: emotion asked for is read {100 * row['attributes']['emotion_family']:.0f}% of the time; "
              f"R@3 {row['r_precision']['top3']['mean']:.2f} (real motion {real['r_precision']['top3']['mean']:.2f}); "
              f"facial actions the prompts name (\"winks\") read {percent(row['attributes']['action_recall'], 0)} "
              f"(real motion {percent(real['attributes']['action_recall'], 0)})")
        held = results["l2m"]["keyword_swap"]["heldout"]
        print(f"  Language2Motion on paraphrases with no emotion word: read as the intended family "
              f"{100 * held['paraphrase_family']:.0f}%; \"extremely\" read as more intense than \"slightly\" "
              f"{100 * held['intensity_pairs_stronger']:.0f}% of pairs")
    print(f"  report: {folder / 'REPORT.md'}")
    cards = write_demo_cards(out, results)
    print(f"  model cards with these figures: {', '.join(str(c) for c in cards)}")
    return [folder / "REPORT.md", folder / "results.json", folder / "embeddings_tsne.png", folder / "one_word_control.png",
            folder / "intensity_words.png", *cards]


def write_demo_cards(out: Path, results: dict) -> list[Path]:
    """Render every demo model's card with the report's test figures (``results``: its results.json); the
    Language2Motion card shows the demo's generated clips as samples and widget examples."""
    from tdmm_hub.cards import CardInputs, model_card, write_card

    samples = {"l2m": [{"prompt": prompt, "file": f"generated/{name}.mp4", "caption": name} for name, prompt in DEMO_PROMPTS
                       if (out / "l2m" / "generated" / f"{name}.mp4").is_file()]}
    cards = []
    for name in ("tokenizer", "evaluator", "m2l", "l2m"):
        if (out / name / "config.json").is_file():
            inputs = CardInputs(results=results, results_file="report/results.json", samples=samples.get(name, []))
            cards.append(write_card(out / name, model_card(out / name, inputs=inputs)))
    return cards


STAGES: list[tuple[str, Callable[[Path], list[Path]]]] = [
    ("face_model", stage_face_model),
    ("corpus", stage_corpus),
    ("tokenizer", stage_tokenizer),
    ("evaluator", stage_evaluator),
    ("m2l", stage_m2l),
    ("l2m", stage_l2m),
    ("report", stage_report),
]


def run_demo(out: Path, force: bool = False) -> None:
    """Run every stage not yet complete under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    markers = out / ".stages"
    for name, stage in STAGES:
        marker = markers / f"{name}.json"
        if not force and marker.exists():
            done = json.loads(marker.read_text())
            if all((out / f).exists() for f in done["outputs"]):
                print(f"[{name}] already complete ({len(done['outputs'])} files), skipping")
                continue
        print(f"[{name}] running")
        start = time.time()
        outputs = stage(out)
        with atomic_path(marker) as tmp:
            tmp.write_text(json.dumps({"outputs": [str(p.relative_to(out)) for p in outputs], "seconds": time.time() - start}))
        print(f"[{name}] done in {time.time() - start:.1f} s")
    print(f"demo outputs are in {out}/")
