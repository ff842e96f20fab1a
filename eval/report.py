"""The evaluation report: every model of a run judged by the text-motion evaluator, as tables and plots.

    python -m tdmm_eval report --models outputs/demo --out outputs/demo/report [--quick]

``--models`` is a folder with ``corpus/`` (an Open3DFaceVid folder) and any of ``evaluator/``
(required), ``tokenizer/``, ``m2l/``, ``l2m/`` (the layout ``make demo`` writes). Everything is
measured on the corpus's test split, seeded, and written to ``REPORT.md``, ``results.json``
and PNG figures beside them.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from modeling_tdmm.clip import FaceClip
from modeling_tdmm.io_utils import atomic_path
from modeling_tdmm.motion_fields import MOTION_FIELDS
from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
from open3dfacevid.features import row_to_clip
from tdmm_eval.evaluator_figures import evaluator_figures
from tdmm_eval.evaluator_labels import UNKNOWN, clip_labels, vocabularies_of
from tdmm_eval.l2m_eval import frechet_distance, generate_like, keyword_swaps, motion_features, param_l2
from tdmm_eval.motion_metrics import R_PRECISION_BATCH, diversity, mean_interval, mm_dist, multimodality, r_precision

QUICK_TEST_CLIPS, FULL_TEST_CLIPS = 64, 400


def prompt_truth(attributes: dict[str, Any], vocab: dict[str, list[str]]) -> dict[str, str | None]:
    """What a clip's prompt asks for: emotion family (one-emotion clips), head motion, intensity (where it shows)."""
    labels = clip_labels(attributes, vocab)
    pick = {"emotion_family": ("emotion_labels", "emotion_families"), "head_motion": ("head_labels", "head_motions"),
            "intensity": ("intensity_labels", "intensities")}
    return {key: None if labels[label] == UNKNOWN else vocab[names][labels[label]] for key, (label, names) in pick.items()}


def reading_accuracy(readings: list[dict[str, Any]], truths: list[dict[str, str | None]], vocab: dict[str, list[str]]) -> dict[str, float]:
    """Share of clips whose evaluator reading matches what their prompt asks for (intensity within one level)."""
    def share(key: str, match: Callable[[str, str], bool]) -> float:
        hits = [match(r[key], t[key]) for r, t in zip(readings, truths) if t[key] is not None]
        return float(np.mean(hits)) if hits else float("nan")

    levels = vocab["intensities"]
    return {"emotion_family": share("emotion_family", str.__eq__), "head_motion": share("head_motion", str.__eq__),
            "intensity_within_one": share("intensity", lambda a, b: abs(levels.index(a) - levels.index(b)) <= 1)}


# ----------------------------------------------------------------------------- sections
def section_evaluator(evaluator: TextMotionEvaluator, test: list[dict], folder: Path) -> dict[str, Any]:
    """The evaluator's held-out figures on real test clips (beside its own training-time figures)."""
    saved = folder / "evaluator_results.json"
    return {"test": evaluator_figures(evaluator, test), "at_training": json.loads(saved.read_text()) if saved.exists() else None}


def group_errors(original: FaceClip, reconstructed: FaceClip) -> dict[str, float]:
    """Mean absolute error per motion field and the mean absolute value (signal) of each."""
    out = {}
    for name in MOTION_FIELDS:
        truth, guess = getattr(original, name), getattr(reconstructed, name)[: original.num_frames]
        out[f"{name}_error"] = float(np.abs(guess - truth).mean())
        out[f"{name}_signal"] = float(np.abs(truth).mean())
    return out


def section_tokenizer(evaluator: TextMotionEvaluator, tokenizer_dir: Path, test: list[dict]) -> dict[str, Any]:
    """Does meaning survive the geometry tokenizer? The evaluator reads originals and reconstructions."""
    from modeling_tdmm.processing_face_tokens import FaceTokenProcessor, load_geometry_tokenizer
    from tdmm_eval.tokenizer_eval import evaluate_tokenizer

    geometry = load_geometry_tokenizer(tokenizer_dir)
    processor = FaceTokenProcessor.for_tokenizer(geometry)
    clips = [row_to_clip(r) for r in test]
    reconstructions = [processor.codes_to_clip(processor.clip_to_codes(c), fps=c.fps, shape=c.shape, num_frames=c.num_frames,
                                               clip_id=c.clip_id) for c in clips]
    vocab = vocabularies_of(evaluator.config)
    truths = [prompt_truth(c.attributes, vocab) for c in clips]
    original = reading_accuracy(evaluator.read_attributes(clips), truths, vocab)
    rebuilt = reading_accuracy(evaluator.read_attributes(reconstructions), truths, vocab)
    errors = [group_errors(c, r) for c, r in zip(clips, reconstructions)]
    geometry_figures = evaluate_tokenizer(geometry, test)
    return {
        "originals": original, "reconstructions": rebuilt,
        "retained": {k: rebuilt[k] / original[k] if original[k] else float("nan") for k in original},
        "groups": {k: float(np.mean([e[k] for e in errors])) for k in errors[0]},
        "mean_vertex_error_mm": geometry_figures["mean_vertex_error_mm"], "blink_recall": geometry_figures["blink_recall"],
        "codes_used_pct": geometry_figures["codes_used_pct"],
    }


def _t2m_row(evaluator: TextMotionEvaluator, clips: list[FaceClip], texts: np.ndarray, real: np.ndarray,
             truths: list[dict], vocab: dict[str, list[str]], seed: int) -> dict[str, Any]:
    motion = evaluator.embed_clips(clips)
    return {"r_precision": r_precision(motion, texts, seed=seed), "fid": frechet_distance(real, motion),
            "mm_dist": mm_dist(motion, texts), "diversity": mean_interval([diversity(motion, seed=seed + r) for r in range(20)]),
            "attributes": reading_accuracy(evaluator.read_attributes(clips), truths, vocab)}


def section_l2m(evaluator: TextMotionEvaluator, l2m_dir: Path, train: Any, test: list[dict], quick: bool, seed: int = 0) -> dict[str, Any]:
    """Table 3: generated motion for the test prompts vs real motion vs a retrieval baseline, plus one-word swaps."""
    from modeling_tdmm.language2motion import Language2Motion

    l2m = Language2Motion.from_pretrained(l2m_dir)
    vocab = vocabularies_of(evaluator.config)
    real_clips = [row_to_clip(r) for r in test]
    prompts = [c.prompt for c in real_clips]
    frames = [c.num_frames for c in real_clips]
    truths = [prompt_truth(c.attributes, vocab) for c in real_clips]
    texts = evaluator.embed_texts(prompts)
    real = evaluator.embed_clips(real_clips)
    rows: dict[str, Any] = {"real motion": _t2m_row(evaluator, real_clips, texts, real, truths, vocab, seed)}

    train_prompts = [str(p) for p in train["prompt"]]
    nearest = (texts @ evaluator.embed_texts(train_prompts).T).argmax(1)
    retrieved = [row_to_clip(train[int(i)]) for i in nearest]
    rows["retrieval (closest training prompt)"] = _t2m_row(evaluator, retrieved, texts, real, truths, vocab, seed)

    tick = time.perf_counter()
    generated = generate_like(l2m, prompts, frames, None, seed=seed)
    rows["Language2Motion"] = _t2m_row(evaluator, generated, texts, real, truths, vocab, seed)
    rows["Language2Motion"]["generation_s"] = time.perf_counter() - tick
    rows["Language2Motion"]["param_l2"] = float(np.mean([param_l2(g, c) for g, c in zip(generated, real_clips)]))
    rows["Language2Motion"]["fd_parameters"] = frechet_distance(np.stack([motion_features(c) for c in real_clips]),
                                                                np.stack([motion_features(g) for g in generated]))
    count, repeats = (8, 3) if quick else (32, 10)
    groups = [evaluator.embed_clips(generate_like(l2m, prompts[:count], frames[:count], None, seed=seed + 100 + r))
              for r in range(repeats)]
    rows["Language2Motion"]["multimodality"] = multimodality(np.stack(groups, 1))

    swaps = keyword_swaps(prompts)[: 8 if quick else None]
    before = evaluator.read_attributes(generate_like(l2m, [a for a, _, _ in swaps], [125] * len(swaps), None, seed=seed + 1))
    after = evaluator.read_attributes(generate_like(l2m, [b for _, b, _ in swaps], [125] * len(swaps), None, seed=seed + 1))
    swap = {"pairs": len(swaps),
            "lands_on_new_family": float(np.mean([r["emotion_family"] == t for r, (_, _, t) in zip(after, swaps)])) if swaps else float("nan"),
            "reading_changed": float(np.mean([a["emotion_family"] != b["emotion_family"] for a, b in zip(before, after)])) if swaps else float("nan"),
            "examples": [{"prompt": a, "swapped": b, "read": x["emotion_family"], "read_swapped": y["emotion_family"]}
                         for (a, b, _), x, y in list(zip(swaps, before, after))[:6]]}
    return {"rows": rows, "keyword_swap": swap, "test_prompts": len(prompts)}


def caption_metrics(predictions: list[str], references: list[list[str]]) -> dict[str, float]:
    """BLEU-1/4, ROUGE-L, CIDEr-D and BERTScore F1 against all references (local evaluate modules)."""
    from tdmm_eval.text_metrics import load_text_metric

    bleu = load_text_metric("bleu4").compute(predictions=predictions, references=references)
    return {"bleu1": bleu["bleu1"], "bleu4": bleu["bleu4"],
            "rougeL": 100 * load_text_metric("rouge_l").compute(predictions=predictions, references=references)["rougeL"],
            "cider": load_text_metric("cider").compute(predictions=predictions, references=references)["cider"],
            "bertscore": 100 * load_text_metric("bertscore").compute(predictions=predictions, references=references)["f1"]}


def section_m2l(evaluator: TextMotionEvaluator, m2l_dir: Path, train: Any, test: list[dict]) -> dict[str, Any]:
    """Table 1: Motion2Language's descriptions vs a majority answer, the nearest training clip in face-token
    space and the nearest in the evaluator's motion space; attributes read by the lexicon judge, caption metrics."""
    from modeling_tdmm.motion2language import Motion2Language
    from modeling_tdmm.motion_data import encode_rows
    from tdmm_eval.description_baselines import MajorityDescription, NearestCaption
    from tdmm_eval.description_scores import attribute_accuracy, judge

    m2l = Motion2Language.from_pretrained(m2l_dir)
    clips = [row_to_clip(r) for r in test]
    truth = [c.attributes for c in clips]
    references = [list(c.captions) for c in clips]
    train_captions = [[str(c) for c in captions] for captions in train["captions"]]
    geometry = m2l.processor.tokenizer
    train_rows = [train[i] for i in range(len(train))]
    nearest_codes = NearestCaption(encode_rows(train_rows, geometry), train_captions, geometry.config.codebook_size)
    nearest_motion = (evaluator.embed_clips(clips) @ evaluator.embed_clips(train_rows).T).argmax(1)
    texts = {
        "Motion2Language": m2l.describe(clips, batch_size=16),
        "majority": MajorityDescription(train_captions, lambda t: tuple(judge(t).values())).predict(len(clips)),
        "nearest clip (face tokens)": nearest_codes.predict(encode_rows(test, geometry)),
        "nearest clip (evaluator)": [train_captions[int(i)][0] for i in nearest_motion],
    }
    rows = {name: {**attribute_accuracy(t, truth), **caption_metrics(t, references)} for name, t in texts.items()}
    asked = m2l.describe(clips, question="What emotion does the person show?", batch_size=16)
    rows["Motion2Language"]["emotion_when_asked"] = attribute_accuracy(asked, truth)["emotion"]
    examples = [{"truth": references[i][0], "m2l": texts["Motion2Language"][i], "asked": asked[i]} for i in range(4)]
    return {"rows": rows, "examples": examples}


def embedding_figure(evaluator: TextMotionEvaluator, test: list[dict], path: Path, seed: int = 0) -> Path:
    """t-SNE of the evaluator's motion embeddings of test clips, coloured by emotion family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    clips = [row_to_clip(r) for r in test]
    families = [(c.attributes.get("emotion_families") or ["neutral"])[0] for c in clips]
    points = TSNE(perplexity=min(30, len(clips) - 1), random_state=seed, init="pca").fit_transform(evaluator.embed_clips(clips))
    figure, axis = plt.subplots(figsize=(7, 6))
    for family in sorted(set(families)):
        chosen = [i for i, f in enumerate(families) if f == family]
        axis.scatter(points[chosen, 0], points[chosen, 1], s=14, label=family)
    axis.set_title("Evaluator motion embeddings of test clips (t-SNE), by emotion family")
    axis.legend(fontsize=6, ncol=2, loc="best")
    axis.set_xticks([])
    axis.set_yticks([])
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


# ----------------------------------------------------------------------------- writing
def _pct(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.1f}%"


def markdown(results: dict[str, Any], command: str) -> str:
    """REPORT.md from the results."""
    lines = ["# Evaluation report", "", f"Regenerate with `{command}` (seed {results['seed']}); "
             f"{results['test_clips']} test clips of `{results['corpus']}`. Numbers repeat exactly with the same "
             "models, corpus and seed (a test checks this on a tiny configuration).", ""]
    ev = results["evaluator"]["test"]
    lines += ["## The evaluator on real test clips", "",
              "| emotion family | head motion | intensity within one level | action F1 | R@1 | R@3 | chance R@1 / R@3 |",
              "|---|---|---|---|---|---|---|",
              f"| {_pct(ev['emotion_family'])} (n={ev['n_emotion']}) | {_pct(ev['head_motion'])} | "
              f"{_pct(ev['intensity_within_one'])} (n={ev['n_intensity']}) | {ev['action_f1']:.2f} | "
              + (f"{_pct(ev['r_precision']['top1']['mean'])} | {_pct(ev['r_precision']['top3']['mean'])} | 3.1% / 9.4% |"
                 if "r_precision" in ev else "n/a | n/a | |"), ""]
    if "tokenizer" in results:
        tok = results["tokenizer"]
        lines += ["## Does meaning survive the geometry tokenizer?", "",
                  "The evaluator reads each test clip and its reconstruction from face tokens.", "",
                  "| | emotion family | head motion | intensity within one |", "|---|---|---|---|"]
        for name in ("originals", "reconstructions"):
            row = tok[name]
            lines.append(f"| {name} | {_pct(row['emotion_family'])} | {_pct(row['head_motion'])} | {_pct(row['intensity_within_one'])} |")
        ret = tok["retained"]
        lines += [f"| kept (target >= 95%) | {_pct(ret['emotion_family'])} | {_pct(ret['head_motion'])} | {_pct(ret['intensity_within_one'])} |", "",
                  f"Mean vertex error {tok['mean_vertex_error_mm']:.2f} mm, blink recall {tok['blink_recall']:.2f}, "
                  f"{tok['codes_used_pct']:.0f}% of codes used. Mean absolute error per group (signal = mean |value|):", "",
                  "| | " + " | ".join(MOTION_FIELDS) + " |", "|---" * (len(MOTION_FIELDS) + 1) + "|",
                  "| error | " + " | ".join(f"{tok['groups'][f'{n}_error']:.4f}" for n in MOTION_FIELDS) + " |",
                  "| signal | " + " | ".join(f"{tok['groups'][f'{n}_signal']:.4f}" for n in MOTION_FIELDS) + " |", ""]
    if "m2l" in results:
        lines += ["## Motion2Language (Table 1)", "",
                  "Descriptions of the test clips; emotion, head motion and intensity as the lexicon judge reads them "
                  "from the text, against ground truth; caption metrics against all references (BERTScore with "
                  "all-MiniLM-L6-v2, not roberta-large).", "",
                  "| | emotion | emotion (asked) | head | intensity | BLEU-1 | BLEU-4 | ROUGE-L | CIDEr | BERTScore |",
                  "|---" * 10 + "|"]
        for name, row in results["m2l"]["rows"].items():
            asked = _pct(row["emotion_when_asked"]) if "emotion_when_asked" in row else ""
            lines.append(f"| {name} | {_pct(row['emotion'])} | {asked} | {_pct(row['head_motion'])} | {_pct(row['intensity'])} | "
                         f"{row['bleu1']:.1f} | {row['bleu4']:.1f} | {row['rougeL']:.1f} | {row['cider']:.2f} | {row['bertscore']:.1f} |")
        lines += ["", "| ground truth | Motion2Language | asked for the emotion |", "|---|---|---|"]
        lines += [f"| {e['truth']} | {e['m2l']} | {e['asked']} |" for e in results["m2l"]["examples"]]
        lines.append("")
    if "l2m" in results:
        l2m = results["l2m"]
        lines += ["## Language2Motion (Table 3)", "",
                  "Generated for the test prompts; real test motion is the reference row. Attribute columns: the "
                  "evaluator's reading matches what the prompt asks for.", "",
                  "| | R@1 | R@2 | R@3 | FID | MM-Dist | Diversity | emotion | head | intensity ±1 |", "|---" * 10 + "|"]
        for name, row in l2m["rows"].items():
            rp = row["r_precision"]
            lines.append(f"| {name} | {rp['top1']['mean']:.3f}±{rp['top1']['ci95']:.3f} | {rp['top2']['mean']:.3f} | "
                         f"{rp['top3']['mean']:.3f}±{rp['top3']['ci95']:.3f} | {row['fid']:.3f} | {row['mm_dist']:.3f} | "
                         f"{row['diversity']['mean']:.3f} | {_pct(row['attributes']['emotion_family'])} | "
                         f"{_pct(row['attributes']['head_motion'])} | {_pct(row['attributes']['intensity_within_one'])} |")
        gen = l2m["rows"]["Language2Motion"]
        swap = l2m["keyword_swap"]
        lines += ["", f"Language2Motion: MultiModality {gen['multimodality']:.3f}, parameter L2 {gen['param_l2']:.3f}, "
                  f"FD on parameter statistics {gen['fd_parameters']:.2f}.", "",
                  f"One-word emotion swap ({swap['pairs']} pairs): the swapped prompt's motion is read as the new family "
                  f"{_pct(swap['lands_on_new_family'])} of the time; the reading changes {_pct(swap['reading_changed'])}.", "",
                  "| prompt | read | swapped to | read |", "|---|---|---|---|"]
        lines += [f"| {e['prompt'].split('. ')[0]} | {e['read']} | {e['swapped'].split('. ')[0]} | {e['read_swapped']} |"
                  for e in swap["examples"]]
        lines.append("")
    lines += ["## Evaluator embedding of the test clips", "", "![t-SNE of evaluator embeddings](embeddings_tsne.png)", ""]
    return "\n".join(lines)


def run_report(models: Path, out: Path, quick: bool = False, seed: int = 0, command: str = "",
               max_clips: int | None = None) -> dict[str, Any]:
    """Measure what is in ``models`` and write ``REPORT.md``, ``results.json`` and figures to ``out``.

    ``max_clips`` caps the test clips (default 64 with ``quick``, 400 without)."""
    import datasets
    from tqdm import tqdm

    evaluator = TextMotionEvaluator.from_pretrained(models / "evaluator")
    corpus = datasets.load_dataset(str(models / "corpus")).with_format("numpy")
    test_split = corpus["test"]
    count = min(len(test_split), max_clips or (QUICK_TEST_CLIPS if quick else FULL_TEST_CLIPS))
    if count < R_PRECISION_BATCH:
        raise ValueError(f"{models / 'corpus'}: {count} test clips; the report needs at least {R_PRECISION_BATCH} "
                         "(R-precision is measured in batches of 32)")
    test = [test_split[i] for i in np.random.default_rng(seed).permutation(len(test_split))[:count]]
    results: dict[str, Any] = {"seed": seed, "quick": quick, "test_clips": count, "corpus": str(models / "corpus")}
    steps = [("evaluator", lambda: section_evaluator(evaluator, test, models / "evaluator"))]
    if (models / "tokenizer" / "config.json").exists():
        steps.append(("tokenizer", lambda: section_tokenizer(evaluator, models / "tokenizer", test)))
    if (models / "m2l" / "config.json").exists():
        steps.append(("m2l", lambda: section_m2l(evaluator, models / "m2l", corpus["train"], test)))
    if (models / "l2m" / "config.json").exists():
        steps.append(("l2m", lambda: section_l2m(evaluator, models / "l2m", corpus["train"], test, quick, seed)))
    for name, step in tqdm(steps, desc="report", unit="section"):
        results[name] = step()
    out.mkdir(parents=True, exist_ok=True)
    embedding_figure(evaluator, test, out / "embeddings_tsne.png", seed)
    with atomic_path(out / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2))
    with atomic_path(out / "REPORT.md") as tmp:
        tmp.write_text(markdown(results, command or f"python -m tdmm_eval report --models {models} --out {out}"
                                + (" --quick" if quick else "")))
    return results
