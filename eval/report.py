"""The evaluation report: every model of a run judged by the text-motion evaluator, as tables and plots.

    python -m tdmm_eval report --models outputs/demo --out outputs/demo/report [--quick]

``--models`` is a folder with ``corpus/`` (an Open3DFaceVid folder) and any of ``evaluator/``
(required), ``tokenizer/``, ``m2l/``, ``l2m/`` (the layout ``make demo`` writes), further
Language2Motion folders named ``l2m_*`` (e.g. ``l2m_global``: more Table 3 rows and Fig. 12 curves) and
``ablation/<corpus>/{m2l,l2m}`` for the corpus ablation (``make bench`` trains them). Everything is
measured on the corpus's test split, seeded, and written to ``REPORT.md``, ``results.json``
and PNG figures beside them.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from modeling_tdmm.clip import DEFAULT_FPS, FaceClip
from modeling_tdmm.io_utils import atomic_path
from modeling_tdmm.m2l_prompt import EMOTION_QUESTION
from modeling_tdmm.motion_fields import MOTION_FIELDS
from modeling_tdmm.text_motion_evaluator import TextMotionEvaluator
from open3dfacevid.features import row_to_clip
from tdmm_eval.evaluator_figures import evaluator_figures
from tdmm_eval.evaluator_labels import UNKNOWN, clip_labels, vocabularies_of
from tdmm_eval.l2m_eval import frechet_distance, generate_like, keyword_swaps, motion_features, param_l2
from tdmm_eval.motion_metrics import R_PRECISION_BATCH, diversity, mean_interval, mm_dist, multimodality, r_precision

QUICK_TEST_CLIPS, FULL_TEST_CLIPS = 64, 400


def prompt_truth(attributes: dict[str, Any], vocab: dict[str, list[str]]) -> dict[str, Any]:
    """What a clip's prompt asks for: emotion family (one-emotion clips), head motion, intensity (where it shows),
    and ``actions``, the facial actions it names (a list, maybe empty)."""
    labels = clip_labels(attributes, vocab)
    pick = {"emotion_family": ("emotion_labels", "emotion_families"), "head_motion": ("head_labels", "head_motions"),
            "intensity": ("intensity_labels", "intensities")}
    truth: dict[str, Any] = {key: None if labels[label] == UNKNOWN else vocab[names][labels[label]]
                             for key, (label, names) in pick.items()}
    truth["actions"] = [name for name, on in zip(vocab["actions"], labels["action_labels"]) if on]
    return truth


def reading_accuracy(readings: list[dict[str, Any]], truths: list[dict[str, Any]], vocab: dict[str, list[str]]) -> dict[str, float]:
    """Share of clips whose evaluator reading matches what their prompt asks for (intensity within one level), and
    ``action_recall``: the share of the facial actions the prompts name that the evaluator reads in the motion (None,
    not measured, where no prompt names one)."""
    def share(key: str, match: Callable[[str, str], bool]) -> float:
        hits = [match(r[key], t[key]) for r, t in zip(readings, truths) if t[key] is not None]
        return float(np.mean(hits)) if hits else float("nan")

    levels = vocab["intensities"]
    named = [name in r["actions"] for r, t in zip(readings, truths) for name in t["actions"]]
    return {"emotion_family": share("emotion_family", str.__eq__), "head_motion": share("head_motion", str.__eq__),
            "intensity_within_one": share("intensity", lambda a, b: abs(levels.index(a) - levels.index(b)) <= 1),
            "action_recall": float(np.mean(named)) if named else None}


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


def retention(evaluator: TextMotionEvaluator, clips: list[FaceClip], rebuilt: list[FaceClip]) -> dict[str, Any]:
    """The evaluator's readings of ``clips`` and of their reconstructions ``rebuilt``, the share kept, and the
    mean error of each parameter group beside its signal."""
    vocab = vocabularies_of(evaluator.config)
    truths = [prompt_truth(c.attributes, vocab) for c in clips]
    original = reading_accuracy(evaluator.read_attributes(clips), truths, vocab)
    readings = reading_accuracy(evaluator.read_attributes(rebuilt), truths, vocab)
    errors = [group_errors(c, r) for c, r in zip(clips, rebuilt)]
    return {
        "originals": original, "reconstructions": readings,
        "retained": {k: readings[k] / original[k] if original[k] is not None and original[k] > 0 else None  # None: not measured
                     for k in original},
        "groups": {k: float(np.mean([e[k] for e in errors])) for k in errors[0]},
    }


def tokenizer_reconstructions(geometry: Any, clips: list[FaceClip]) -> list[FaceClip]:
    """Each clip encoded to face tokens by the geometry tokenizer and decoded back."""
    from modeling_tdmm.processing_face_tokens import FaceTokenProcessor

    processor = FaceTokenProcessor.for_tokenizer(geometry)
    return [processor.codes_to_clip(processor.clip_to_codes(c), fps=c.fps, shape=c.shape, num_frames=c.num_frames,
                                    clip_id=c.clip_id) for c in clips]


def section_tokenizer(evaluator: TextMotionEvaluator, tokenizer_dir: Path, test: list[dict]) -> dict[str, Any]:
    """Does meaning survive the geometry tokenizer? The evaluator reads originals and reconstructions."""
    from modeling_tdmm.processing_face_tokens import load_geometry_tokenizer
    from tdmm_eval.tokenizer_eval import evaluate_tokenizer

    geometry = load_geometry_tokenizer(tokenizer_dir)
    clips = [row_to_clip(r) for r in test]
    geometry_figures = evaluate_tokenizer(geometry, test)
    return {
        **retention(evaluator, clips, tokenizer_reconstructions(geometry, clips)),
        "mean_vertex_error_mm": geometry_figures["mean_vertex_error_mm"], "blink_recall": geometry_figures["blink_recall"],
        "codes_used_pct": geometry_figures["codes_used_pct"],
    }


def _t2m_row(evaluator: TextMotionEvaluator, clips: list[FaceClip], texts: np.ndarray, real: np.ndarray, truths: list[dict],
             vocab: dict[str, list[str]], seed: int, reference: list[FaceClip] | None = None) -> dict[str, Any]:
    """Every Table 3 metric of ``clips`` (one per test prompt); ``reference`` (the real test clips) adds
    the paper's parameter L2 and FD on parameter statistics."""
    motion = evaluator.embed_clips(clips)
    row = {"r_precision": r_precision(motion, texts, seed=seed), "fid": frechet_distance(real, motion),
           "mm_dist": mm_dist(motion, texts), "diversity": mean_interval([diversity(motion, seed=seed + r) for r in range(20)]),
           "attributes": reading_accuracy(evaluator.read_attributes(clips), truths, vocab)}
    if reference is not None:
        row["param_l2"] = float(np.mean([param_l2(c, r) for c, r in zip(clips, reference)]))
        row["fd_parameters"] = frechet_distance(np.stack([motion_features(c) for c in reference]),
                                                np.stack([motion_features(c) for c in clips]))
    return row


def generated_readings(evaluator: TextMotionEvaluator, l2m: Any, prompts: list[str], seed: int,
                       guidance: float | None = None, **sampling: Any) -> list[dict[str, Any]]:
    """The evaluator's readings of 5-second clips generated for ``prompts`` (``sampling`` as :func:`generate_like`)."""
    return evaluator.read_attributes(generate_like(l2m, prompts, [125] * len(prompts), guidance, seed=seed, **sampling))


def landing_share(readings: list[dict[str, Any]], swaps: list[tuple[str, str, str]]) -> float:
    """Share of swapped prompts whose generated motion is read as the swap's target family."""
    return float(np.mean([r["emotion_family"] == t for r, (_, _, t) in zip(readings, swaps)])) if swaps else float("nan")


def heldout_language(evaluator: TextMotionEvaluator, l2m: Any, train: Any, train_texts: np.ndarray, seed: int,
                     repeats: int = 3) -> dict[str, Any]:
    """Language2Motion on language outside the corpus templates (:mod:`tdmm_eval.heldout_prompts`).

    Paraphrases with no lexicon emotion word: share of generated clips read as the family a reader names
    (``repeats`` seeds each), beside retrieval of the closest training prompt's real clip (``train_texts [N, E]``:
    the evaluator's embeddings of the training prompts). Intensity pairs
    ("slightly" vs "extremely", same seed): share read as more intense for the strong word."""
    from tdmm_eval.heldout_prompts import PARAPHRASES, intensity_pairs

    result = language_readings(evaluator, l2m, PARAPHRASES, intensity_pairs(), seed, repeats)
    prompts, families = [p for p, _ in PARAPHRASES], [f for _, f in PARAPHRASES]
    nearest = (evaluator.embed_texts(prompts) @ train_texts.T).argmax(1)
    retrieved = evaluator.read_attributes([row_to_clip(train[int(i)]) for i in nearest])
    return {**result, "paraphrase_family_retrieval": float(np.mean([r["emotion_family"] == f for r, f in zip(retrieved, families)]))}


def language_readings(evaluator: TextMotionEvaluator, l2m: Any, paraphrases: Sequence[tuple[str, str]],
                      pairs: Sequence[tuple[str, str]], seed: int, repeats: int, guidance: float | None = None,
                      **sampling: Any) -> dict[str, Any]:
    """Generated motion for ``paraphrases`` ((prompt, family) pairs) and intensity ``pairs`` ((weak, strong)
    prompts), ``repeats`` seeds each: ``paraphrase_family`` (share read as the family), a few
    ``paraphrase_examples`` and ``intensity_pairs_stronger`` (share of pairs, same seed, whose strong prompt is
    read as more intense), with the counts. ``guidance`` and ``sampling`` as :func:`generate_like`."""
    prompts, families = [p for p, _ in paraphrases], [f for _, f in paraphrases]
    readings = [generated_readings(evaluator, l2m, prompts, seed + 10 + r, guidance, **sampling) for r in range(repeats)]
    matches = [[r["emotion_family"] == f for r, f in zip(rows, families)] for rows in readings]
    levels = vocabularies_of(evaluator.config)["intensities"]
    stronger = []
    for r in range(repeats):
        weak = generated_readings(evaluator, l2m, [w for w, _ in pairs], seed + 20 + r, guidance, **sampling)
        strong = generated_readings(evaluator, l2m, [s for _, s in pairs], seed + 20 + r, guidance, **sampling)
        stronger += [levels.index(b["intensity"]) > levels.index(a["intensity"]) for a, b in zip(weak, strong)]
    return {"paraphrases": len(prompts), "paraphrase_family": float(np.mean(matches)),
            "paraphrase_examples": [{"prompt": p, "family": f, "read": r["emotion_family"]}
                                    for p, f, r in list(zip(prompts, families, readings[0]))[::4]],
            "intensity_pairs": len(stronger), "intensity_pairs_stronger": float(np.mean(stronger))}


def l2m_name(folder: Path, l2m: Any) -> str:
    """Row name of a Language2Motion folder: its folder, conditioning and size."""
    config = l2m.model.config
    return f"Language2Motion `{folder.name}` ({config.conditioning}, {config.hidden_size}x{config.num_hidden_layers})"


def section_l2m(evaluator: TextMotionEvaluator, l2m_dirs: list[Path], train: Any, test: list[dict], quick: bool,
                out: Path, seed: int = 0) -> dict[str, Any]:
    """Table 3: motion generated for the test prompts by each Language2Motion folder (the first is the main
    model) vs real motion vs a retrieval baseline; one-word swaps; token accuracy curves (Fig. 12) and the
    one-word control render of the main model (Fig. 13)."""
    from modeling_tdmm.face_model import FaceModel
    from modeling_tdmm.language2motion import Language2Motion
    from tdmm_eval.heldout_prompts import INTENSITY_EMOTIONS, intensity_pairs
    from tdmm_eval.l2m_eval import teacher_forced_accuracy
    from tdmm_eval.report_figures import (
        INTENSITY_FIGURE_EMOTIONS,
        ONE_WORD_EMOTIONS,
        ONE_WORD_TEMPLATE,
        model_size_label,
        one_word_figure,
        training_curve,
        training_curves_figure,
    )

    vocab = vocabularies_of(evaluator.config)
    real_clips = [row_to_clip(r) for r in test]
    prompts = [c.prompt for c in real_clips]
    frames = [c.num_frames for c in real_clips]
    truths = [prompt_truth(c.attributes, vocab) for c in real_clips]
    texts = evaluator.embed_texts(prompts)
    real = evaluator.embed_clips(real_clips)
    rows: dict[str, Any] = {"real motion": _t2m_row(evaluator, real_clips, texts, real, truths, vocab, seed)}

    train_prompts = [str(p) for p in train["prompt"]]
    train_texts = evaluator.embed_texts(train_prompts)
    nearest = (texts @ train_texts.T).argmax(1)
    retrieved = [row_to_clip(train[int(i)]) for i in nearest]
    rows["retrieval (closest training prompt)"] = _t2m_row(evaluator, retrieved, texts, real, truths, vocab, seed, real_clips)

    swaps_all = keyword_swaps(prompts)[: 8 if quick else 32]
    swap: dict[str, Any] = {}
    curves: dict[str, list[tuple[int, float]]] = {}
    for index, folder in enumerate(l2m_dirs):
        l2m = Language2Motion.from_pretrained(folder)
        name = l2m_name(folder, l2m)
        tick = time.perf_counter()
        generated = generate_like(l2m, prompts, frames, None, seed=seed)
        row = rows[name] = _t2m_row(evaluator, generated, texts, real, truths, vocab, seed, real_clips)
        row["generation_s"] = time.perf_counter() - tick
        codes = [l2m.processor.clip_to_codes(c) for c in real_clips]
        row["token_accuracy"] = teacher_forced_accuracy(l2m.model, l2m.text_tokenizer, codes, prompts)
        count, repeats = (8, 3) if quick else (32, 10)
        groups = [evaluator.embed_clips(generate_like(l2m, prompts[:count], frames[:count], None, seed=seed + 100 + r))
                  for r in range(repeats)]
        row["multimodality"] = multimodality(np.stack(groups, 1))
        before = generated_readings(evaluator, l2m, [a for a, _, _ in swaps_all], seed + 1)
        after = generated_readings(evaluator, l2m, [b for _, b, _ in swaps_all], seed + 1)
        row["swap_lands"] = landing_share(after, swaps_all)
        parameters = sum(p.numel() for n, p in l2m.model.named_parameters() if "text_encoder" not in n)
        curves[model_size_label(l2m.model.config, parameters)] = training_curve(folder)
        if index == 0:
            swap = {"model": name, "pairs": len(swaps_all), "lands_on_new_family": row["swap_lands"],
                    "reading_changed": float(np.mean([a["emotion_family"] != b["emotion_family"] for a, b in zip(before, after)]))
                    if swaps_all else float("nan"),
                    "examples": [{"prompt": a, "swapped": b, "read": x["emotion_family"], "read_swapped": y["emotion_family"]}
                                 for (a, b, _), x, y in list(zip(swaps_all, before, after))[:6]]}
            control = generate_like(l2m, [ONE_WORD_TEMPLATE.format(e) for e in ONE_WORD_EMOTIONS], [100] * len(ONE_WORD_EMOTIONS),
                                    None, seed=seed + 2)
            readings = evaluator.read_attributes(control)
            one_word_figure(control, readings, FaceModel.load(control[0].face_model), out / "one_word_control.png")
            swap["one_word_control"] = [{"word": e, "read": r["emotion_family"], "intensity": r["intensity"]}
                                        for e, r in zip(ONE_WORD_EMOTIONS, readings)]
            pairs = [p for p, e in zip(intensity_pairs(), INTENSITY_EMOTIONS) if e in INTENSITY_FIGURE_EMOTIONS]
            weak, strong = (generate_like(l2m, [p[i] for p in pairs], [100] * len(pairs), None, seed=seed + 3) for i in (0, 1))
            shown = [c for pair in zip(weak, strong) for c in pair]  # same seed per pair: only the adverb differs
            one_word_figure(shown, evaluator.read_attributes(shown), FaceModel.load(shown[0].face_model), out / "intensity_words.png")
            swap["heldout"] = heldout_language(evaluator, l2m, train, train_texts, seed, repeats=1 if quick else 3)
    if any(curves.values()):
        training_curves_figure(curves, out / "token_accuracy_curves.png")
    return {"rows": rows, "main": swap["model"], "keyword_swap": swap, "test_prompts": len(prompts), "curves": curves}


def caption_metrics(predictions: list[str], references: list[list[str]]) -> dict[str, float]:
    """BLEU-1/4, ROUGE-L, CIDEr-D and BERTScore F1 against all references (local evaluate modules)."""
    from tdmm_eval.text_metrics import load_text_metric

    bleu = load_text_metric("bleu4").compute(predictions=predictions, references=references)
    return {"bleu1": bleu["bleu1"], "bleu4": bleu["bleu4"],
            "rougeL": 100 * load_text_metric("rouge_l").compute(predictions=predictions, references=references)["rougeL"],
            "cider": load_text_metric("cider").compute(predictions=predictions, references=references)["cider"],
            "bertscore": 100 * load_text_metric("bertscore").compute(predictions=predictions, references=references)["f1"]}


def description_row(descriptions: list[str], clips: list[FaceClip]) -> dict[str, float]:
    """Table 1 columns for descriptions of ``clips``: the lexicon judge's attribute accuracy, the offline
    CorE/CorM/CorI rubric (1-5) and the caption metrics against all of each clip's captions."""
    from tdmm_eval.description_scores import attribute_accuracy
    from tdmm_eval.judge_rubric import mean_rubric_scores

    truth = [c.attributes for c in clips]
    return {**attribute_accuracy(descriptions, truth), **mean_rubric_scores(descriptions, truth),
            **caption_metrics(descriptions, [list(c.captions) for c in clips])}


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
    nearest_codes = NearestCaption(encode_rows(train_rows, geometry), train_captions, geometry.config.codebook_size,
                                   geometry.config.head_codebook_size)
    nearest_motion = (evaluator.embed_clips(clips) @ evaluator.embed_clips(train_rows).T).argmax(1)
    texts = {
        "Motion2Language": m2l.describe(clips, batch_size=16),
        "majority": MajorityDescription(train_captions, lambda t: tuple(judge(t).values())).predict(len(clips)),
        "nearest clip (face tokens)": nearest_codes.predict(encode_rows(test, geometry)),
        "nearest clip (evaluator)": [train_captions[int(i)][0] for i in nearest_motion],
    }
    rows = {name: description_row(t, clips) for name, t in texts.items()}
    asked = m2l.describe(clips, question=EMOTION_QUESTION, batch_size=16)
    rows["Motion2Language"]["emotion_when_asked"] = attribute_accuracy(asked, truth)["emotion"]
    examples = [{"truth": references[i][0], "m2l": texts["Motion2Language"][i], "asked": asked[i]} for i in range(4)]
    return {"rows": rows, "examples": examples}


ABLATION_CORPORA = ("mead_like", "youtube_like", "open3dfacevid")


def section_ablation(evaluator: TextMotionEvaluator, folder: Path, test: list[dict], quick: bool,
                     seed: int = 0) -> dict[str, Any]:
    """Tables 4-5: ``folder/<corpus>/{m2l,l2m}`` (models trained identically on each corpus) scored on the
    Open3DFaceVid test clips ``test``."""
    from modeling_tdmm.language2motion import Language2Motion
    from modeling_tdmm.motion2language import Motion2Language

    vocab = vocabularies_of(evaluator.config)
    clips = [row_to_clip(r) for r in test]
    prompts = [c.prompt for c in clips]
    texts = evaluator.embed_texts(prompts)
    real = evaluator.embed_clips(clips)
    truths = [prompt_truth(c.attributes, vocab) for c in clips]
    swaps = keyword_swaps(prompts)[: 8 if quick else 32]
    results: dict[str, Any] = {}
    for corpus in [c for c in ABLATION_CORPORA if (folder / c).is_dir()]:
        results[corpus] = {}
        if (folder / corpus / "m2l" / "config.json").exists():
            m2l = Motion2Language.from_pretrained(folder / corpus / "m2l")
            results[corpus]["m2l"] = description_row(m2l.describe(clips, batch_size=16), clips)
        if (folder / corpus / "l2m" / "config.json").exists():
            l2m = Language2Motion.from_pretrained(folder / corpus / "l2m")
            generated = generate_like(l2m, prompts, [c.num_frames for c in clips], None, seed=seed)
            row = results[corpus]["l2m"] = _t2m_row(evaluator, generated, texts, real, truths, vocab, seed, clips)
            row["swap_lands"] = landing_share(generated_readings(evaluator, l2m, [b for _, b, _ in swaps], seed + 1), swaps)
    return results


def embedding_figure(evaluator: TextMotionEvaluator, panels: dict[str, list[dict]], path: Path, seed: int = 0) -> Path:
    """Fig. 9: t-SNE of the evaluator's motion embeddings, one panel per corpus (title -> rows), points
    coloured by emotion family (the same colour for a family in every panel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    figure, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 6), squeeze=False)
    families_of = {title: [(c.attributes.get("emotion_families") or ["neutral"])[0] for c in map(row_to_clip, rows)]
                   for title, rows in panels.items()}
    palette = plt.get_cmap("tab20")
    colours = {f: palette(i % 20) for i, f in enumerate(sorted({f for fs in families_of.values() for f in fs}))}
    for axis, (title, rows) in zip(axes[0], panels.items()):
        families = families_of[title]
        points = TSNE(perplexity=min(30, len(rows) - 1), random_state=seed, init="pca").fit_transform(evaluator.embed_clips(rows))
        for family in sorted(set(families)):
            chosen = [i for i, f in enumerate(families) if f == family]
            axis.scatter(points[chosen, 0], points[chosen, 1], s=14, label=family, color=colours[family])
        axis.set_title(f"{title}: evaluator motion embeddings (t-SNE)")
        axis.legend(fontsize=6, ncol=2, loc="best")
        axis.set_xticks([])
        axis.set_yticks([])
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    return path


# ----------------------------------------------------------------------------- writing
def _t2m_line(name: str, row: dict[str, Any]) -> str:
    rp = row["r_precision"]
    extra = (f"{row['param_l2']:.3f} | {row['fd_parameters']:.2f} | " if "param_l2" in row else "| | ")
    extra += f"{row['token_accuracy']:.3f} |" if "token_accuracy" in row else " |"
    return (f"| {name} | {rp['top1']['mean']:.3f}±{rp['top1']['ci95']:.3f} | {rp['top2']['mean']:.3f} | "
            f"{rp['top3']['mean']:.3f}±{rp['top3']['ci95']:.3f} | {row['fid']:.3f} | {row['mm_dist']:.3f} | "
            f"{row['diversity']['mean']:.3f} | {percent(row['attributes']['emotion_family'])} | "
            f"{percent(row['attributes']['head_motion'])} | {percent(row['attributes']['intensity_within_one'])} | "
            f"{percent(row['attributes']['action_recall'])} | " + extra)


T2M_HEADER = ["| | R@1 | R@2 | R@3 | FID | MM-Dist | Diversity | emotion | head | intensity ±1 | actions | L2 | FD | Tok |",
              "|---" * 14 + "|"]


def l2m_markdown(l2m: dict[str, Any]) -> list[str]:
    """Table 3, the one-word swap and the figures of the Language2Motion section."""
    lines = ["## Language2Motion (Table 3)", "",
             "Generated for the test prompts; real test motion is the reference row. Attribute columns: the evaluator's "
             "reading matches what the prompt asks for (actions: the share of the facial actions the prompts name, such "
             "as \"winks\" or \"puffs the cheeks\", that the evaluator reads in the motion). L2: mean per-frame distance "
             "of the motion parameters to the real clip; FD: Fréchet distance of per-clip parameter statistics; Tok: "
             "teacher-forced face-token accuracy on the test clips.", ""] + T2M_HEADER
    lines += [_t2m_line(name, row) for name, row in l2m["rows"].items()]
    models = [(n, r) for n, r in l2m["rows"].items() if "multimodality" in r]
    lines += [""] + [f"{n}: MultiModality {r['multimodality']:.3f}; one-word swaps land on the new family "
                     f"{percent(r['swap_lands'])}." for n, r in models]
    swap = l2m["keyword_swap"]
    if swap:
        lines += ["", f"One-word emotion swap of {swap['model']} ({swap['pairs']} test prompts): the swapped prompt's motion is "
                  f"read as the new family {percent(swap['lands_on_new_family'])} of the time; the reading changes "
                  f"{percent(swap['reading_changed'])}.", "", "| prompt | read | swapped to | read |", "|---|---|---|---|"]
        lines += [f"| {e['prompt'].split('. ')[0]} | {e['read']} | {e['swapped'].split('. ')[0]} | {e['read_swapped']} |"
                  for e in swap["examples"]]
        held = swap.get("heldout")
        if held:
            lines += ["", "### Language outside the templates", "",
                      f"{held['paraphrases']} hand-written paraphrases with no emotion word of the lexicon "
                      "(`tdmm_eval.heldout_prompts`, never trained or tuned on), e.g. \"Her brows slam down and her lips press "
                      f"into a hard line.\": generated motion read as the family a reader names **{percent(held['paraphrase_family'])}** "
                      f"(retrieving the closest training prompt's real clip: {percent(held['paraphrase_family_retrieval'])}). "
                      f"Intensity words: of {held['intensity_pairs']} prompt pairs differing only in \"slightly\" vs "
                      f"\"extremely\" (same seed), the \"extremely\" motion is read as more intense "
                      f"**{percent(held['intensity_pairs_stronger'])}**; four of the pairs, three key frames each:", "",
                      "![intensity words](intensity_words.png)", "",
                      "| paraphrase | a reader names | evaluator reads |", "|---|---|---|"]
            lines += [f"| {e['prompt']} | {e['family']} | {e['read']} |" for e in held["paraphrase_examples"]]
        lines += ["", "### One-word control (Fig. 13)", "",
                  "The same prompt with one emotion word changed, same seed; three key frames each, with the evaluator's "
                  "reading.", "", "![one-word control](one_word_control.png)", "",
                  "| word | evaluator reads | intensity |", "|---|---|---|"]
        lines += [f"| {c['word']} | {c['read']} | {c['intensity']} |" for c in swap["one_word_control"]]
    if any(l2m["curves"].values()):
        lines += ["", "### Token accuracy over training (Fig. 12)", "",
                  "Validation face-token accuracy logged during training, one line per model size (hidden width x layers).",
                  "", "![token accuracy curves](token_accuracy_curves.png)"]
    return lines + [""]


def ablation_markdown(ablation: dict[str, Any]) -> list[str]:
    """Tables 4-5: identical models trained on each corpus, all scored on the Open3DFaceVid test split."""
    lines = ["## Corpus ablation (Tables 4-5)", "",
             "Identical models trained on each corpus and scored on the same Open3DFaceVid test clips. The MEAD-like and "
             "YouTube-like corpora are **emulations made with our synthesizer** (MEAD-like: 8 emotions x 3 intensities, "
             "label prompts, no head motion or actions; YouTube-like: mostly neutral, noisy automatic captions), not the "
             "real datasets. Motion2Language here learns only to describe, from each corpus's own texts (the default "
             "recipe's question answering reads the synthesizer's ground truth, which such corpora lack).", ""]
    m2l = {c: r["m2l"] for c, r in ablation.items() if "m2l" in r}
    if m2l:
        lines += ["| Motion2Language trained on | CorE | CorM | CorI | emotion | head | intensity | BLEU-4 | BERTScore |",
                  "|---" * 9 + "|"]
        lines += [f"| {c} | {r['CorE']:.2f} | {r['CorM']:.2f} | {r['CorI']:.2f} | {percent(r['emotion'])} | "
                  f"{percent(r['head_motion'])} | {percent(r['intensity'])} | {r['bleu4']:.1f} | {r['bertscore']:.1f} |"
                  for c, r in m2l.items()]
        lines.append("")
    l2m = {c: r["l2m"] for c, r in ablation.items() if "l2m" in r}
    if l2m:
        lines += [line.replace("| |", "| Language2Motion trained on |", 1) for line in T2M_HEADER]
        lines += [_t2m_line(c, r) for c, r in l2m.items()]
        lines.append("")
    return lines



def percent(share: float | None, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage with ``digits`` decimals; "n/a" where it was not measured (None or NaN)."""
    return "n/a" if share is None or share != share else f"{100 * share:.{digits}f}%"


def markdown(results: dict[str, Any], command: str) -> str:
    """REPORT.md from the results."""
    lines = ["# Evaluation report", "", f"Regenerate with `{command}` (seed {results['seed']}); "
             f"{results['test_clips']} test clips of `{results['corpus']}`. Numbers repeat exactly with the same "
             "models, corpus and seed (a test checks this on a tiny configuration).", ""]
    ev = results["evaluator"]["test"]
    lines += ["## The evaluator on real test clips", "",
              "| emotion family | head motion | intensity within one level | action F1 | R@1 | R@3 | chance R@1 / R@3 |",
              "|---|---|---|---|---|---|---|",
              f"| {percent(ev['emotion_family'])} (n={ev['n_emotion']}) | {percent(ev['head_motion'])} | "
              f"{percent(ev['intensity_within_one'])} (n={ev['n_intensity']}) | {ev['action_f1']:.2f} | "
              + (f"{percent(ev['r_precision']['top1']['mean'])} | {percent(ev['r_precision']['top3']['mean'])} | 3.1% / 9.4% |"
                 if ev.get("r_precision") else "n/a | n/a | |"), ""]
    if "tokenizer" in results:
        tok = results["tokenizer"]
        lines += ["## Does meaning survive the geometry tokenizer?", "",
                  "The evaluator reads each test clip and its reconstruction from face tokens.", "",
                  "| | emotion family | head motion | intensity within one | facial actions named |", "|---|---|---|---|---|"]
        for name in ("originals", "reconstructions"):
            row = tok[name]
            lines.append(f"| {name} | {percent(row['emotion_family'])} | {percent(row['head_motion'])} | "
                         f"{percent(row['intensity_within_one'])} | {percent(row['action_recall'])} |")
        ret = tok["retained"]
        lines += [(f"| kept (target >= 95%) | {percent(ret['emotion_family'])} | {percent(ret['head_motion'])} | "
                   f"{percent(ret['intensity_within_one'])} | {percent(ret['action_recall'])} |"), "",
                  f"Mean vertex error {tok['mean_vertex_error_mm']:.2f} mm, blink recall {tok['blink_recall']:.2f}, "
                  f"{tok['codes_used_pct']:.0f}% of codes used. Mean absolute error per group (signal = mean |value|):", "",
                  "| | " + " | ".join(MOTION_FIELDS) + " |", "|---" * (len(MOTION_FIELDS) + 1) + "|",
                  "| error | " + " | ".join(f"{tok['groups'][f'{n}_error']:.4f}" for n in MOTION_FIELDS) + " |",
                  "| signal | " + " | ".join(f"{tok['groups'][f'{n}_signal']:.4f}" for n in MOTION_FIELDS) + " |", ""]
    if "m2l" in results:
        lines += ["## Motion2Language (Table 1)", "",
                  "Descriptions of the test clips. CorE / CorM / CorI: the paper's 1-5 correctness of emotion, motion and "
                  "intensity, scored offline by the documented rubric in `tdmm_eval.judge_rubric` (an LLM judge with the "
                  "same rubric: `python -m tdmm_eval judge --url URL --model NAME`); emotion, head motion and intensity: share of clips the lexicon judge reads "
                  "right from the text; caption metrics against all references (BERTScore with all-MiniLM-L6-v2, not "
                  "roberta-large).", "",
                  "| | CorE | CorM | CorI | emotion | emotion (asked) | head | intensity | intensity ±1 | BLEU-1 | BLEU-4 | ROUGE-L | CIDEr | BERTScore |",
                  "|---" * 14 + "|"]
        for name, row in results["m2l"]["rows"].items():
            asked = percent(row["emotion_when_asked"]) if "emotion_when_asked" in row else ""
            lines.append(f"| {name} | {row['CorE']:.2f} | {row['CorM']:.2f} | {row['CorI']:.2f} | {percent(row['emotion'])} | "
                         f"{asked} | {percent(row['head_motion'])} | {percent(row['intensity'])} | {percent(row['intensity_within_one'])} | "
                         f"{row['bleu1']:.1f} | {row['bleu4']:.1f} | {row['rougeL']:.1f} | {row['cider']:.2f} | {row['bertscore']:.1f} |")
        lines += ["", "| ground truth | Motion2Language | asked for the emotion |", "|---|---|---|"]
        lines += [f"| {e['truth']} | {e['m2l']} | {e['asked']} |" for e in results["m2l"]["examples"]]
        lines.append("")
    if "l2m" in results:
        lines += l2m_markdown(results["l2m"])
    if "ablation" in results:
        lines += ablation_markdown(results["ablation"])
    if "token_cost" in results:
        lines += ["## Token cost: face tokens vs a video LLM", "",
                  f"Tokens a language model reads for a {results['token_cost']['seconds']:g}-second clip. Face tokens are "
                  "counted from the geometry tokenizer's config; the video-LLM rows are arithmetic on each model family's "
                  "sampling rule (stated beside it), not measurements.", "",
                  "| input | rule | tokens | x face tokens |", "|---|---|---|---|"]
        lines += [f"| {r['name']} | {r['rule']} | {r['tokens']} | {r['ratio']:.1f} |" for r in results["token_cost"]["rows"]]
        lines.append("")
    lines += ["## Evaluator embedding of the test clips (Fig. 9)", "",
              "t-SNE of the evaluator's motion embeddings, coloured by emotion family (beside the emulated MEAD-like "
              "corpus's test clips when the ablation was run).", "", "![t-SNE of evaluator embeddings](embeddings_tsne.png)", ""]
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
    l2m_dirs = sorted((p for p in models.glob("l2m*") if (p / "config.json").is_file()), key=lambda p: (p.name != "l2m", p.name))
    out.mkdir(parents=True, exist_ok=True)
    if l2m_dirs:
        steps.append(("l2m", lambda: section_l2m(evaluator, l2m_dirs, corpus["train"], test, quick, out, seed)))
    if (models / "ablation").is_dir():
        steps.append(("ablation", lambda: section_ablation(evaluator, models / "ablation", test, quick, seed)))
    for name, step in tqdm(steps, desc="report", unit="section"):
        results[name] = step()
    if (models / "tokenizer" / "config.json").exists():
        from modeling_tdmm.processing_face_tokens import load_geometry_tokenizer
        from tdmm_eval.token_cost import token_cost_rows

        config = load_geometry_tokenizer(models / "tokenizer").config
        results["token_cost"] = {"seconds": 5.0, "rows": token_cost_rows(DEFAULT_FPS, config.downsample, 5.0)}
    panels = {"Open3DFaceVid test clips": test}
    mead = models / "ablation" / "mead_like" / "corpus"
    if (mead / "README.md").is_file():
        mead_test = datasets.load_dataset(str(mead), split="test").with_format("numpy")
        panels["MEAD-like test clips (emulated)"] = [mead_test[i] for i in range(min(count, len(mead_test)))]
    embedding_figure(evaluator, panels, out / "embeddings_tsne.png", seed)
    with atomic_path(out / "results.json") as tmp:
        tmp.write_text(json.dumps(results, indent=2))
    with atomic_path(out / "REPORT.md") as tmp:
        tmp.write_text(markdown(results, command or f"python -m tdmm_eval report --models {models} --out {out}"
                                + (" --quick" if quick else "")))
    return results
