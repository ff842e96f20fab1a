"""Corpus styles: emulations of other corpora, made with the Open3DFaceVid synthesizer.

For the paper's corpus ablation (Tables 4-5) identical models are trained on a MEAD-like
corpus, a YouTube-like corpus and Open3DFaceVid, and all are scored on Open3DFaceVid's test
split. The two alternatives here are **emulations, not the real MEAD or YouTube data**: every
clip is synthesized by :func:`open3dfacevid.synthesizer.synthesize` from a
:class:`~open3dfacevid.prompts.PromptSpec` drawn with the style's distribution. Rows have the
features of the main corpus, splits follow its hash rule (key ``"{seed}:{index}"``), and the
``attributes`` stay the exact ground truth of what was synthesized. What differs is the
distribution of the motion and the text (``prompt`` and ``captions``):

* ``open3dfacevid``: the balanced prompt suite, text-to-video prompts and rich captions.
* ``mead_like``: MEAD's 8 emotions (balanced) x 3 intensity levels (balanced; neutral has
  level 1 only), young adult men and women, no head-motion primitive (the head keeps only
  the idle sway of about 1 degree and the emotion's posture, at most about 6 degrees), no
  facial action; prompt and captions are the label ("happy, level 2").
* ``youtube_like``: in-the-wild talking heads: 70% neutral faces, mostly low intensities,
  a head motion in 85% of the clips, talking in half of them and another facial action in
  a tenth; prompt and captions come
  from a weak automatic captioner (:func:`auto_caption`: generic, never the intensity,
  sometimes the wrong emotion, filler and typos).

A clip depends only on ``(style, seed, index)`` and the duration range and frame rate, so
shards are generated independently.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from modeling_tdmm.clip import FaceClip

from .lexicon import FAMILY_WORDS, by_category, emotion_families, get
from .prompts import PromptSpec, article, balanced, spec_at
from .subjects import Subject
from .synthesizer import FPS, synthesize

STYLES = ("open3dfacevid", "mead_like", "youtube_like")
DEFAULT_STYLE = "open3dfacevid"
#: Printed names of the emulated corpora (card titles).
STYLE_TITLES = {"mead_like": "MEAD-like", "youtube_like": "YouTube-like"}
#: Clip-id prefixes, so clips of different styles never share an id.
_PREFIXES = {"open3dfacevid": "o3dfv", "mead_like": "mead-like", "youtube_like": "youtube-like"}
#: Random streams (second entry of the generator seed) of the YouTube-like draws (spec,
#: captions); the synthesizer uses 0-3 (spec, motion, identity, captions).
_YOUTUBE_SPEC_STREAM, _YOUTUBE_TEXT_STREAM = 20, 21

# ----------------------------------------------------------------------------- MEAD-like
#: MEAD's emotion labels (as its file names spell them) -> the lexicon emotion synthesized.
MEAD_EMOTIONS = {
    "angry": "angry", "disgusted": "disgusted", "contempt": "contemptuous", "fear": "afraid",
    "happy": "happy", "sad": "sad", "surprised": "surprised", "neutral": "neutral",
}
#: MEAD's intensity levels 1-3 -> the lexicon intensity synthesized (scale 0.5, 0.75, 1.0).
MEAD_LEVELS = {1: "mild", 2: "clear", 3: "intense"}
MEAD_TEMPO = "naturally"

# ----------------------------------------------------------------------------- YouTube-like
YOUTUBE_NEUTRAL_SHARE = 0.7
YOUTUBE_HEAD_SHARE = 0.85
YOUTUBE_TALKING_SHARE = 0.5
YOUTUBE_OTHER_ACTION_SHARE = 0.1
#: Probabilities of the 8 lexicon intensities (subtle ... extreme): in-the-wild faces are mild.
YOUTUBE_INTENSITY_WEIGHTS = (0.25, 0.25, 0.2, 0.12, 0.08, 0.05, 0.03, 0.02)
#: The weak captioner: how often it names an emotion for an emotional clip, how often that
#: emotion is another family's, and how often it names one for a neutral face.
CAPTION_NAMES_EMOTION = 0.6
CAPTION_WRONG_EMOTION = 0.3
CAPTION_HALLUCINATES_EMOTION = 0.15
CAPTION_SAYS_TALKING = {True: 0.85, False: 0.35}  # keyed by whether the clip really talks
CAPTION_TYPO = 0.25
CAPTION_REPEAT = 0.1
_PREFIX_FILLERS = ("", "", "", "video of ", "a close up of ", "there is ", "this is ", "an image of ")
_SUFFIX_FILLERS = ("", "", "", " in a room", " in front of a wall", " on a video call", " with a white background",
                   " at home", " and")
_NOUNS = {"man": ("a man", "a guy", "a person"), "woman": ("a woman", "a girl", "a lady", "a person"),
          "person": ("a person", "someone")}
_EMOTION_FORMS = ("with {article} {word} face", "looking {word}", "who looks {word}")
_TALKING = ("talking", "talking to the camera", "speaking", "is talking", "speaking to the camera")
_NOT_TALKING = ("looking at the camera", "sitting", "in a video", "posing for the camera")
_HEAD_WORDS = {"nod": "nodding", "shake": "shaking head", "tilt": "tilting head", "turn": "turning head",
               "look": "moving head"}


#: One line per style, for the CLI help and the dataset card.
STYLE_SUMMARIES = {
    "open3dfacevid": "the balanced Open3DFaceVid prompt suite with text-to-video prompts and rich captions",
    "mead_like": "MEAD emulation: 8 emotions x 3 intensity levels, frontal, no head motion, no facial actions, "
                 "label text as prompt and captions (\"happy, level 2\")",
    "youtube_like": f"YouTube emulation: {YOUTUBE_NEUTRAL_SHARE:.0%} neutral faces, in-the-wild head motion and "
                    f"talking, noisy automatic captions (generic, no intensity, sometimes the wrong emotion, typos)",
}


def check_style(style: str) -> str:
    """``style`` if it is one of :data:`STYLES`, else a one-line ``ValueError``."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}; got {style!r}")
    return style


def style_spec(style: str, index: int, seed: int = 0, min_seconds: float = 4.0, max_seconds: float = 6.0) -> PromptSpec:
    """What clip ``index`` of the ``style`` corpus with ``seed`` shows (lexicon names).

    Starts from the main corpus' spec (subject appearance, duration) and redraws what the
    style changes; ``prompt`` stays the main corpus' text-to-video prompt (:func:`style_clip`
    replaces the texts).
    """
    spec = spec_at(index, seed, min_seconds, max_seconds)
    if check_style(style) == "mead_like":
        return _mead_spec(spec)
    if style == "youtube_like":
        return _youtube_spec(spec)
    return spec


def _mead_spec(spec: PromptSpec) -> PromptSpec:
    label = balanced(tuple(MEAD_EMOTIONS), spec.index, spec.seed, "emotion")
    level = 1 if label == "neutral" else balanced(tuple(MEAD_LEVELS), spec.index, spec.seed, "intensity")
    gender = balanced(("man", "woman"), spec.index, spec.seed, "subject")
    return replace(spec, focus="emotion", emotion=MEAD_EMOTIONS[label], intensity=MEAD_LEVELS[level], tempo=MEAD_TEMPO,
                   head="still", second_emotion=None, action=None,
                   subject=Subject("young adult", gender, spec.subject.appearance))


def _youtube_spec(spec: PromptSpec) -> PromptSpec:
    rng = np.random.default_rng([spec.seed, _YOUTUBE_SPEC_STREAM, spec.index])
    emotions = [d.name for d in by_category("emotion") if d.name != "neutral"]
    heads = [d.name for d in by_category("head") if d.name != "still"]
    others = [d.name for d in by_category("action") if d.name != "talking"]
    emotion = "neutral" if rng.random() < YOUTUBE_NEUTRAL_SHARE else emotions[int(rng.integers(len(emotions)))]
    intensity = by_category("intensity")[int(rng.choice(len(YOUTUBE_INTENSITY_WEIGHTS), p=YOUTUBE_INTENSITY_WEIGHTS))]
    tempi = by_category("tempo")
    head = heads[int(rng.integers(len(heads)))] if rng.random() < YOUTUBE_HEAD_SHARE else "still"
    draw = rng.random()
    action = ("talking" if draw < YOUTUBE_TALKING_SHARE
              else others[int(rng.integers(len(others)))] if draw < YOUTUBE_TALKING_SHARE + YOUTUBE_OTHER_ACTION_SHARE
              else None)
    focus = "emotion" if emotion != "neutral" else "action" if action else "head" if head != "still" else "emotion"
    return replace(spec, focus=focus, emotion=emotion, intensity=intensity.name,
                   tempo=tempi[int(rng.integers(len(tempi)))].name, head=head, second_emotion=None, action=action)


def mead_label(attributes: dict) -> tuple[str, int]:
    """The MEAD ``(emotion label, level)`` of a MEAD-like clip, from its ground truth."""
    labels = {name: label for label, name in MEAD_EMOTIONS.items()}
    levels = {name: level for level, name in MEAD_LEVELS.items()}
    return labels[attributes["emotions"][0]], levels[attributes["intensity"]]


def mead_texts(attributes: dict) -> tuple[str, list[str]]:
    """Prompt and captions of a MEAD-like clip: its one-hot label, written three ways."""
    label, level = mead_label(attributes)
    return f"{label}, level {level}", [label, f"emotion: {label}, intensity: level {level}", f"{label} ({level}/3)"]


def auto_caption(attributes: dict, rng: np.random.Generator) -> str:
    """One caption from a weak automatic captioner, lowercase and without a final period.

    Reads the ground truth but reports it badly: a generic subject noun, an emotion family
    word only sometimes (:data:`CAPTION_NAMES_EMOTION`), of the wrong family at times
    (:data:`CAPTION_WRONG_EMOTION`) or for a neutral face (:data:`CAPTION_HALLUCINATES_EMOTION`),
    never the intensity, "talking" more often than the face talks, rarely the head motion,
    plus filler words, repeated words and typos.
    """
    felt = [get(e).family for e in attributes["emotions"] if e != "neutral"]
    words = [_pick(_NOUNS[attributes["subject"]["gender"]], rng)]
    if rng.random() < (CAPTION_NAMES_EMOTION if felt else CAPTION_HALLUCINATES_EMOTION):
        family = felt[0] if felt and rng.random() >= CAPTION_WRONG_EMOTION else _pick(
            [f for f in emotion_families() if f not in (*felt, "neutral")], rng)
        word = FAMILY_WORDS[family]
        form = _pick(_EMOTION_FORMS if " " not in word else _EMOTION_FORMS[1:], rng)  # not "with a in awe face"
        words.append(form.format(article=article(word).lower(), word=word))
    talking = any(kind == "talk" for kind in attributes["action_kinds"])
    words.append(_pick(_TALKING if rng.random() < CAPTION_SAYS_TALKING[talking] else _NOT_TALKING, rng))
    head = attributes["head_motion"]["kind"]
    if head in _HEAD_WORDS and rng.random() < 0.25:
        words.append(f"and {_HEAD_WORDS[head]}")
    text = (_pick(_PREFIX_FILLERS, rng) + " ".join(words) + _pick(_SUFFIX_FILLERS, rng)).split()
    if rng.random() < CAPTION_REPEAT:
        k = int(rng.integers(len(text)))
        text.insert(k, text[k])
    if rng.random() < CAPTION_TYPO:
        k = int(rng.integers(len(text)))
        text[k] = _typo(text[k], rng)
    return " ".join(text)


def _typo(word: str, rng: np.random.Generator) -> str:
    """``word`` with two neighbouring letters swapped, one dropped or one doubled (words under 4 letters unchanged)."""
    if len(word) < 4:
        return word
    k = int(rng.integers(1, len(word) - 2))
    kind = int(rng.integers(3))
    if kind == 0:
        return word[:k] + word[k + 1] + word[k] + word[k + 2:]
    return word[:k] + word[k + 1:] if kind == 1 else word[:k] + word[k] + word[k:]


def youtube_texts(attributes: dict, rng: np.random.Generator, count: int = 3) -> tuple[str, list[str]]:
    """Prompt (the clip's automatic title caption) and up to ``count`` other distinct captions."""
    texts = list(dict.fromkeys(auto_caption(attributes, rng) for _ in range(3 * (count + 1))))
    return texts[0], texts[1:count + 1] or texts[:1]


def style_clip(style: str, index: int, seed: int = 0, min_seconds: float = 4.0, max_seconds: float = 6.0,
               fps: float = FPS) -> FaceClip:
    """Clip ``index`` of the ``style`` corpus with ``seed``: motion and attributes from the
    synthesizer, texts of the style, and a clip id that names the style."""
    clip = synthesize(style_spec(style, index, seed, min_seconds, max_seconds), fps=fps)
    if style == "mead_like":
        clip.prompt, clip.captions = mead_texts(clip.attributes)
    elif style == "youtube_like":
        clip.prompt, clip.captions = youtube_texts(clip.attributes, np.random.default_rng([seed, _YOUTUBE_TEXT_STREAM, index]))
    clip.clip_id = f"{_PREFIXES[style]}-{seed}-{index:06d}"
    return clip


def corpus_title(style: str) -> str:
    """The corpus' name in its card and figure: "Open3DFaceVid" or "MEAD-like emulation"."""
    return "Open3DFaceVid" if check_style(style) == DEFAULT_STYLE else f"{STYLE_TITLES[style]} emulation"


def card_notice(style: str) -> str:
    """The dataset card's statement that an emulated corpus is not real data (a Markdown
    paragraph and a blank line); empty for Open3DFaceVid itself."""
    if check_style(style) == DEFAULT_STYLE:
        return ""
    real = {"mead_like": "MEAD (Wang et al., ECCV 2020)", "youtube_like": "any YouTube video"}[style]
    return (f"**This is an emulation, not real data.** This {STYLE_TITLES[style]} corpus was made with the "
            f"Open3DFaceVid procedural synthesizer (`--style {style}`, see *Corpus styles* below) for the paper's "
            f"corpus ablation; it contains no video, audio, tracked parameters or text from {real}. The "
            f"`attributes` are the exact ground truth of the synthesized motion; only the distribution of motions "
            f"and the `prompt` / `captions` text imitate the other corpus.\n\n")


def _pick(options: tuple[str, ...] | list[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]
