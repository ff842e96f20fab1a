"""The Open3DFaceVid prompt lexicon: descriptors with synonyms, FACS recipes, affect and timing.

Five categories: ``emotion`` (basic and complex), ``action`` (facial actions and
micro-expressions), ``head`` (head motions), ``intensity`` and ``tempo``. Recipes name
open-head-v1's action-unit shapes (``AU12`` means both sides, ``AU12_L`` the subject's left
only) with apex weights in [0, 1]; ``jaw`` is the jaw opening at apex (radians). Emotion
recipes follow the EMFACS-style prototypes (happiness 6+12(+25), sadness 1+4+15, surprise
1+2+5+26, fear 1+2+4+5+7+20+26, anger 4+5+7+23/24, disgust 9+15+16 / 10+17, contempt
one-sided 12+14); complex emotions blend and adjust them. Valence and arousal are in [-1, 1].
``AU43_lids`` stands for eye closure: it drives the clip's ``eyelids`` field (AU43/45), not
an expression shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

CATEGORIES = ("emotion", "action", "head", "intensity", "tempo")


@dataclass(frozen=True)
class Descriptor:
    """One lexicon entry.

    Attributes:
        name: canonical phrase used in prompts ("worried", "double blink", "nod").
        category: one of :data:`CATEGORIES`.
        synonyms: other words for the same thing (paraphrases draw on them).
        family: coarse class for evaluation (emotion family, action kind, head motion kind).
        recipe: action-unit apex weights (see module docstring).
        jaw: jaw opening at apex (rad).
        valence, arousal: affect in [-1, 1].
        onset, apex, offset: default timing (s) of the expression envelope.
        head_bias: (pitch, yaw, roll) posture at apex (rad), e.g. pride lifts the chin.
        blink_rate: spontaneous blinks per minute while this emotion shows.
        value: the scale for intensities, the onset seconds for tempi.
    """

    name: str
    category: str
    synonyms: tuple[str, ...] = ()
    family: str = ""
    recipe: tuple[tuple[str, float], ...] = ()
    jaw: float = 0.0
    valence: float = 0.0
    arousal: float = 0.0
    onset: float = 0.5
    apex: float = 1.5
    offset: float = 0.6
    head_bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    blink_rate: float = 15.0
    value: float = 1.0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


# ----------------------------------------------------------------------------- emotions
# Prototypes: family -> (recipe, jaw, valence, arousal, head_bias, blink_rate)
_PROTOTYPES: dict[str, tuple[dict[str, float], float, float, float, tuple[float, float, float], float]] = {
    "neutral": ({}, 0.0, 0.0, 0.0, (0, 0, 0), 15),
    "joy": ({"AU6": 0.8, "AU12": 0.9, "AU25": 0.35}, 0.03, 0.85, 0.5, (-0.03, 0, 0), 14),
    "sadness": ({"AU1": 0.8, "AU4": 0.45, "AU15": 0.75, "AU17": 0.3}, 0.0, -0.75, -0.35, (0.10, 0, 0), 12),
    "surprise": ({"AU1": 0.95, "AU2": 0.9, "AU5": 0.8, "AU25": 0.6}, 0.20, 0.2, 0.8, (-0.05, 0, 0), 6),
    "fear": ({"AU1": 0.85, "AU2": 0.55, "AU4": 0.6, "AU5": 0.9, "AU7": 0.35, "AU20": 0.8, "AU25": 0.5}, 0.12, -0.8, 0.85, (0.02, 0, 0), 22),
    "anger": ({"AU4": 1.0, "AU5": 0.45, "AU7": 0.7, "AU23": 0.8, "AU24": 0.45}, 0.0, -0.7, 0.75, (0.04, 0, 0), 10),
    "disgust": ({"AU9": 0.9, "AU10": 0.65, "AU15": 0.4, "AU16": 0.3, "AU17": 0.35}, 0.02, -0.7, 0.35, (-0.02, 0.04, 0), 14),
    "contempt": ({"AU12_L": 0.65, "AU14_L": 0.75, "AU2_L": 0.2}, 0.0, -0.55, 0.2, (-0.05, -0.06, 0), 12),
    "interest": ({"AU1": 0.35, "AU2": 0.35, "AU5": 0.3, "AU12": 0.1}, 0.0, 0.35, 0.45, (0.0, 0.0, 0.08), 12),
    "confusion": ({"AU4_L": 0.65, "AU4_R": 0.25, "AU7": 0.3, "AU2_R": 0.35, "AU14_L": 0.25}, 0.0, -0.2, 0.3, (0.0, 0.0, 0.12), 16),
    "boredom": ({"AU41": 0.55, "AU15": 0.2, "AU24": 0.15}, 0.0, -0.35, -0.7, (0.08, 0, 0.05), 9),
    "embarrassment": ({"AU12": 0.4, "AU14": 0.3, "AU24": 0.35, "AU41": 0.2}, 0.0, -0.35, 0.4, (0.12, 0.15, 0), 22),
    "skepticism": ({"AU2_L": 0.85, "AU4_R": 0.35, "AU14_L": 0.35, "AU23": 0.3}, 0.0, -0.25, 0.25, (-0.02, 0, 0.06), 12),
    "determination": ({"AU4": 0.5, "AU7": 0.45, "AU23": 0.5, "AU24": 0.6, "AU17": 0.35}, 0.0, 0.3, 0.6, (-0.04, 0, 0), 8),
    "pride": ({"AU12": 0.5, "AU6": 0.3, "AU24": 0.25, "AU17": 0.2}, 0.0, 0.7, 0.45, (-0.16, 0, 0), 10),
    "tiredness": ({"AU41": 0.75, "AU43_lids": 0.25}, 0.0, -0.3, -0.85, (0.10, 0, 0.05), 8),
    "pain": ({"AU4": 0.85, "AU6": 0.6, "AU7": 0.85, "AU9": 0.5, "AU10": 0.5, "AU20": 0.3, "AU43_lids": 0.3}, 0.04, -0.85, 0.7, (0.05, 0, 0), 20),
    "love": ({"AU12": 0.45, "AU6": 0.35, "AU41": 0.15}, 0.0, 0.8, 0.2, (0.0, 0.0, 0.1), 12),
    "shame": ({"AU15": 0.35, "AU41": 0.45, "AU17": 0.35, "AU1": 0.25}, 0.0, -0.6, -0.1, (0.22, 0.08, 0), 16),
    "awe": ({"AU1": 0.65, "AU2": 0.5, "AU5": 0.35, "AU25": 0.45}, 0.10, 0.6, 0.55, (-0.08, 0, 0), 7),
    "calm": ({"AU12": 0.15, "AU41": 0.2}, 0.0, 0.4, -0.6, (0, 0, 0), 10),
}

# (name, family, scale, synonyms, valence shift, arousal shift, extra recipe)
_EMOTIONS: list[tuple[str, str, float, tuple[str, ...], float, float, dict[str, float]]] = [
    # joy family
    ("happy", "joy", 0.85, ("glad", "pleased"), 0, 0, {}),
    ("joyful", "joy", 1.0, ("full of joy",), 0.05, 0.1, {}),
    ("delighted", "joy", 1.0, ("thrilled",), 0.05, 0.15, {}),
    ("cheerful", "joy", 0.7, ("upbeat",), 0, 0, {}),
    ("amused", "joy", 0.85, ("entertained", "tickled"), 0, 0.1, {"AU25": 0.5}),
    ("gleeful", "joy", 1.0, ("mischievously happy",), 0, 0.25, {"AU25": 0.6}),
    ("elated", "joy", 1.05, ("overjoyed",), 0.1, 0.3, {"AU1": 0.2, "AU2": 0.2}),
    ("ecstatic", "joy", 1.1, ("euphoric",), 0.1, 0.45, {"AU5": 0.3}),
    ("excited", "joy", 0.95, ("enthusiastic", "eager"), 0, 0.4, {"AU5": 0.35, "AU1": 0.25, "AU2": 0.25}),
    ("content", "joy", 0.45, ("contented", "at ease"), 0, -0.5, {"AU25": -0.35}),
    ("satisfied", "joy", 0.5, ("fulfilled",), 0, -0.3, {"AU14": 0.2, "AU25": -0.35}),
    ("relieved", "joy", 0.5, ("reassured",), -0.1, -0.4, {"AU1": 0.3, "AU25": -0.2}),
    ("grateful", "joy", 0.6, ("thankful", "appreciative"), 0, -0.1, {"AU1": 0.25}),
    ("hopeful", "joy", 0.4, ("optimistic",), -0.1, 0.1, {"AU1": 0.35, "AU5": 0.2}),
    ("playful", "joy", 0.7, ("mischievous", "cheeky"), 0, 0.2, {"AU12_L": 0.2}),
    ("blissful", "joy", 0.7, ("serenely happy",), 0.05, -0.4, {"AU43_lids": 0.3}),
    ("proud", "pride", 1.0, ("self-satisfied",), 0, 0, {}),
    ("triumphant", "pride", 1.1, ("victorious",), 0.05, 0.3, {"AU6": 0.3, "AU25": 0.3}),
    ("confident", "pride", 0.7, ("self-assured",), -0.1, -0.1, {}),
    ("smug", "contempt", 0.6, ("self-satisfied", "complacent"), 0.6, 0.1, {"AU12_R": 0.3, "AU6_L": 0.2}),
    ("loving", "love", 1.0, ("affectionate", "adoring"), 0, 0, {}),
    ("tender", "love", 0.8, ("gentle", "caring"), 0, -0.1, {}),
    ("compassionate", "love", 0.7, ("sympathetic",), -0.2, 0, {"AU1": 0.45}),
    ("admiring", "awe", 0.7, ("impressed",), 0.1, 0, {"AU12": 0.35}),
    ("in awe", "awe", 1.0, ("awestruck", "wonderstruck"), 0, 0, {}),
    ("inspired", "awe", 0.8, ("uplifted",), 0.1, 0.1, {"AU12": 0.3}),
    ("nostalgic", "love", 0.5, ("wistful",), -0.3, -0.3, {"AU1": 0.35}),
    ("flirtatious", "love", 0.8, ("coy", "flirty"), 0, 0.3, {"AU12_L": 0.3, "AU6_L": 0.2}),
    ("serene", "calm", 1.0, ("peaceful", "tranquil"), 0, 0, {}),
    ("calm", "calm", 0.8, ("composed", "relaxed"), 0, 0, {}),
    ("neutral", "neutral", 0.0, ("expressionless", "blank"), 0, 0, {}),
    ("pensive", "neutral", 0.5, ("thoughtful", "reflective"), -0.1, -0.2, {"AU4": 0.25, "AU24": 0.2, "AU41": 0.2}),
    ("focused", "determination", 0.6, ("concentrating", "attentive"), -0.2, 0, {"AU23": -0.2}),
    ("determined", "determination", 1.0, ("resolute", "steadfast"), 0, 0, {}),
    ("defiant", "determination", 0.9, ("rebellious",), -0.4, 0.1, {"AU17": 0.3}),
    ("stubborn", "determination", 0.7, ("obstinate",), -0.4, -0.1, {"AU24": 0.2}),
    # sadness family
    ("sad", "sadness", 0.85, ("unhappy", "downcast"), 0, 0, {}),
    ("sorrowful", "sadness", 1.0, ("mournful",), -0.1, 0, {}),
    ("grieving", "sadness", 1.1, ("bereaved", "heartbroken"), -0.15, 0.2, {"AU4": 0.35, "AU6": 0.3, "AU17": 0.35}),
    ("despairing", "sadness", 1.1, ("hopeless", "in despair"), -0.2, 0.1, {"AU4": 0.4, "AU43_lids": 0.3}),
    ("melancholic", "sadness", 0.6, ("melancholy", "gloomy"), 0.1, -0.3, {"AU41": 0.25}),
    ("disappointed", "sadness", 0.7, ("let down", "dismayed"), 0.15, -0.1, {"AU24": 0.35, "AU1": -0.3}),
    ("lonely", "sadness", 0.6, ("isolated",), 0, -0.3, {"AU41": 0.2}),
    ("regretful", "sadness", 0.65, ("remorseful", "apologetic"), 0.05, -0.1, {"AU24": 0.3}),
    ("hurt", "sadness", 0.8, ("wounded",), 0, 0.1, {"AU4": 0.2}),
    ("tearful", "sadness", 0.95, ("on the verge of tears", "weepy"), 0, 0.2, {"AU6": 0.3, "AU17": 0.4, "AU43_lids": 0.15}),
    ("sulky", "sadness", 0.6, ("sulking", "pouting"), 0.1, 0, {"AU17": 0.5, "AU22": 0.25}),
    ("dejected", "sadness", 0.8, ("crestfallen", "disheartened"), 0, -0.2, {"AU41": 0.3}),
    ("guilty", "shame", 0.9, ("culpable",), 0, 0, {"AU1": 0.2}),
    ("ashamed", "shame", 1.0, ("humiliated",), 0, 0.1, {}),
    ("embarrassed", "embarrassment", 1.0, ("self-conscious", "awkward"), 0, 0, {}),
    ("sheepish", "embarrassment", 0.7, ("bashful", "shy"), 0.1, -0.1, {}),
    ("bored", "boredom", 1.0, ("uninterested", "indifferent"), 0, 0, {}),
    ("apathetic", "boredom", 0.8, ("listless",), -0.1, -0.1, {"AU41": 0.1}),
    ("tired", "tiredness", 0.9, ("weary", "fatigued"), 0, 0, {}),
    ("sleepy", "tiredness", 1.0, ("drowsy",), 0.1, -0.1, {"AU43_lids": 0.15}),
    ("exhausted", "tiredness", 1.1, ("drained", "worn out"), -0.1, 0, {"AU15": 0.3}),
    # fear family
    ("afraid", "fear", 0.85, ("scared", "frightened"), 0, 0, {}),
    ("fearful", "fear", 0.9, ("apprehensive",), 0, 0, {}),
    ("terrified", "fear", 1.1, ("petrified", "horrified"), -0.1, 0.15, {"AU27": 0.35}),
    ("panicked", "fear", 1.05, ("panicky", "frantic"), -0.1, 0.2, {"AU27": 0.2}),
    ("anxious", "fear", 0.55, ("uneasy", "on edge"), 0.2, -0.2, {"AU24": 0.35, "AU5": -0.3}),
    ("worried", "fear", 0.5, ("concerned", "troubled"), 0.2, -0.3, {"AU24": 0.25, "AU5": -0.45, "AU20": -0.3}),
    ("nervous", "fear", 0.5, ("jittery", "tense"), 0.2, -0.1, {"AU24": 0.45, "AU5": -0.3}),
    ("dreading", "fear", 0.7, ("full of dread",), -0.1, -0.1, {"AU15": 0.35}),
    ("alarmed", "fear", 0.9, ("startled",), 0.05, 0.15, {"AU1": 0.1, "AU2": 0.3}),
    ("insecure", "fear", 0.4, ("unsure of themselves",), 0.1, -0.4, {"AU24": 0.3, "AU14": 0.2}),
    ("suspicious", "anger", 0.35, ("wary", "distrustful"), 0.2, -0.3, {"AU7": 0.4, "AU14_R": 0.3, "AU23": -0.4}),
    ("shocked", "surprise", 1.05, ("stunned",), -0.4, 0.1, {"AU20": 0.3, "AU27": 0.3}),
    # surprise family
    ("surprised", "surprise", 0.9, ("taken aback",), 0, 0, {}),
    ("astonished", "surprise", 1.1, ("astounded", "flabbergasted"), 0, 0.1, {"AU27": 0.3}),
    ("amazed", "surprise", 1.0, ("dumbfounded",), 0.3, 0, {"AU12": 0.2}),
    ("startled", "surprise", 0.9, ("jolted",), -0.2, 0.15, {"AU7": 0.2}),
    ("bewildered", "confusion", 1.0, ("baffled", "perplexed"), 0, 0.1, {"AU1": 0.3, "AU25": 0.3}),
    ("confused", "confusion", 0.9, ("puzzled", "uncertain"), 0, 0, {}),
    ("curious", "interest", 1.0, ("inquisitive", "intrigued"), 0, 0, {}),
    ("interested", "interest", 0.8, ("engaged",), 0, 0, {}),
    ("fascinated", "interest", 1.1, ("captivated", "enthralled"), 0.2, 0.1, {"AU25": 0.3}),
    ("skeptical", "skepticism", 1.0, ("doubtful", "unconvinced"), 0, 0, {}),
    ("incredulous", "skepticism", 1.1, ("disbelieving",), 0, 0.2, {"AU2_R": 0.3, "AU25": 0.25}),
    ("cynical", "skepticism", 0.8, ("sardonic",), -0.1, -0.1, {"AU12_L": 0.3}),
    # anger family
    ("angry", "anger", 0.9, ("mad", "cross"), 0, 0, {}),
    ("furious", "anger", 1.1, ("livid", "enraged"), -0.1, 0.2, {"AU10": 0.4, "AU9": 0.3}),
    ("enraged", "anger", 1.1, ("seething",), -0.15, 0.25, {"AU10": 0.5, "AU16": 0.35, "AU27": 0.2}),
    ("irritated", "anger", 0.5, ("annoyed", "bothered"), 0.2, -0.3, {"AU14": 0.25}),
    ("frustrated", "anger", 0.7, ("exasperated",), 0.1, -0.1, {"AU24": 0.35, "AU17": 0.35}),
    ("resentful", "anger", 0.55, ("bitter",), 0, -0.2, {"AU14_L": 0.4, "AU15": 0.3}),
    ("hostile", "anger", 0.85, ("aggressive",), -0.1, 0.1, {"AU10": 0.3}),
    ("indignant", "anger", 0.75, ("offended", "affronted"), 0, 0, {"AU1": 0.25, "AU9": 0.2}),
    ("impatient", "anger", 0.45, ("restless",), 0.2, 0.1, {"AU14": 0.3, "AU24": 0.3}),
    ("jealous", "anger", 0.5, ("envious",), 0.1, -0.1, {"AU14_R": 0.45}),
    ("grumpy", "anger", 0.45, ("grouchy", "sullen"), 0.1, -0.3, {"AU15": 0.4, "AU17": 0.35}),
    ("stern", "anger", 0.55, ("severe", "strict"), 0.3, -0.2, {"AU23": 0.1, "AU5": -0.4}),
    # disgust family
    ("disgusted", "disgust", 1.0, ("revolted", "repulsed"), 0, 0, {}),
    ("grossed out", "disgust", 0.9, ("nauseated",), 0, 0.1, {"AU7": 0.3}),
    ("repelled", "disgust", 0.8, ("sickened",), 0, 0, {"AU4": 0.3}),
    ("disapproving", "disgust", 0.5, ("censorious",), 0.2, -0.2, {"AU4": 0.3, "AU24": 0.3}),
    ("appalled", "disgust", 0.8, ("scandalised",), 0, 0.2, {"AU1": 0.3, "AU2": 0.3, "AU5": 0.3}),
    ("contemptuous", "contempt", 1.0, ("scornful", "disdainful"), 0, 0, {}),
    ("condescending", "contempt", 0.8, ("patronising",), 0.05, -0.1, {}),
    ("sarcastic", "contempt", 0.7, ("mocking", "snide"), 0.1, 0.1, {"AU2_L": 0.3, "AU12_R": 0.2}),
    ("dismissive", "contempt", 0.6, ("unimpressed",), 0.1, -0.2, {"AU41": 0.2}),
    # pain, misc
    ("in pain", "pain", 1.0, ("hurting", "suffering"), 0, 0, {}),
    ("wincing", "pain", 0.8, ("grimacing",), 0.1, 0, {"AU20": 0.3}),
    ("distressed", "pain", 0.65, ("anguished",), 0, 0, {"AU1": 0.5}),
    ("uncomfortable", "pain", 0.4, ("ill at ease",), 0.3, -0.2, {"AU24": 0.3}),
    ("overwhelmed", "sadness", 0.8, ("swamped",), 0, 0.3, {"AU5": 0.3, "AU25": 0.3}),
    ("moved", "love", 0.7, ("touched",), 0, 0.1, {"AU1": 0.45, "AU17": 0.25}),
    ("awkward", "embarrassment", 0.8, ("uneasy smile",), 0, 0, {"AU20": 0.25}),
    ("polite", "joy", 0.35, ("courteous",), -0.3, -0.3, {"AU6": -0.25, "AU25": -0.35}),
    ("forced smile", "embarrassment", 0.7, ("fake smile", "strained smile"), 0.1, 0, {"AU12": 0.35, "AU6": -0.3, "AU20": 0.2}),
    ("sympathetic", "love", 0.6, ("understanding",), -0.2, 0, {"AU1": 0.5}),
    ("reassuring", "love", 0.7, ("encouraging",), 0, 0, {"AU12": 0.2}),
    ("welcoming", "joy", 0.7, ("friendly", "warm"), 0, -0.1, {}),
    ("longing", "sadness", 0.5, ("yearning",), 0.2, 0, {"AU5": 0.2}),
    ("vulnerable", "fear", 0.45, ("exposed",), 0, -0.3, {"AU15": 0.25}),
    ("guarded", "skepticism", 0.5, ("reserved",), 0, -0.3, {"AU24": 0.3}),
    ("shy", "embarrassment", 0.6, ("timid",), 0.1, -0.2, {}),
    ("hesitant", "confusion", 0.5, ("tentative",), 0, -0.2, {"AU24": 0.3}),
    ("contemplative", "neutral", 0.6, ("musing",), 0, -0.2, {"AU4": 0.3, "AU14": 0.15}),
    ("daydreaming", "calm", 0.6, ("lost in thought",), 0, 0, {"AU41": 0.3}),
    ("alert", "interest", 0.7, ("watchful", "vigilant"), -0.2, 0.2, {"AU5": 0.3}),
    ("enthusiastic", "joy", 0.9, ("keen",), 0, 0.35, {"AU1": 0.3, "AU2": 0.3}),
    ("amorous", "love", 0.9, ("romantic",), 0, 0.2, {"AU41": 0.2}),
    ("giddy", "joy", 0.95, ("silly",), 0, 0.35, {"AU25": 0.5}),
    ("mortified", "shame", 1.1, ("deeply embarrassed",), -0.1, 0.3, {"AU20": 0.3}),
    ("horrified", "fear", 1.05, ("aghast",), -0.1, 0.1, {"AU9": 0.35, "AU10": 0.3}),
    ("wary", "fear", 0.35, ("cautious",), 0.3, -0.4, {"AU7": 0.3}),
    ("thankful", "joy", 0.55, ("obliged",), 0, -0.2, {"AU1": 0.2}),
    ("joking", "joy", 0.75, ("jesting",), 0, 0.2, {"AU12_R": 0.2, "AU2_L": 0.2}),
    ("sorry", "sadness", 0.55, ("contrite",), 0.1, -0.1, {"AU24": 0.25}),
    ("agitated", "anger", 0.6, ("worked up",), 0, 0.3, {"AU5": 0.3, "AU20": 0.2}),
    ("resigned", "sadness", 0.45, ("defeated",), 0.1, -0.4, {"AU41": 0.3, "AU24": 0.2}),
    ("serious", "neutral", 0.6, ("solemn", "grave"), -0.1, 0, {"AU4": 0.2, "AU24": 0.3}),
]


def _merge(base: dict[str, float], scale: float, extra: dict[str, float]) -> tuple[tuple[str, float], ...]:
    recipe = {k: v * scale for k, v in base.items()}
    for k, v in extra.items():
        recipe[k] = recipe.get(k, 0.0) + v
    return tuple(sorted((k, round(min(max(v, 0.0), 1.2), 3)) for k, v in recipe.items() if v > 1e-6))


def _emotions() -> list[Descriptor]:
    out = []
    for name, family, scale, synonyms, dv, da, extra in _EMOTIONS:
        recipe, jaw, valence, arousal, bias, blinks = _PROTOTYPES[family]
        out.append(Descriptor(
            name=name, category="emotion", synonyms=synonyms, family=family,
            recipe=_merge(recipe, scale, extra), jaw=round(jaw * scale + 0.25 * extra.get("AU27", 0.0), 3),
            valence=max(-1.0, min(1.0, valence * max(scale, 0.3) + dv)),
            arousal=max(-1.0, min(1.0, arousal * max(scale, 0.3) + da)),
            onset=0.6, apex=2.0, offset=0.8, head_bias=tuple(b * max(scale, 0.5) for b in bias), blink_rate=blinks,
        ))
    return out


# ----------------------------------------------------------------------------- facial actions
# (name, synonyms, kind, recipe, jaw, onset, apex, offset, extra). Kinds: expression (held
# action), micro (a flash under ~0.5 s), blink, wink, eyes_closed, talk, yawn.
_ACTIONS: list[tuple[str, tuple[str, ...], str, dict[str, float], float, float, float, float, dict]] = [
    ("blink", ("blinks once",), "blink", {}, 0.0, 0.05, 0.03, 0.1, {"count": 1}),
    ("double blink", ("blinks twice",), "blink", {}, 0.0, 0.05, 0.03, 0.1, {"count": 2}),
    ("rapid blinking", ("blinks rapidly", "flutters the eyelids"), "blink", {}, 0.0, 0.04, 0.02, 0.08, {"count": 4}),
    ("slow blink", ("blinks slowly",), "blink", {}, 0.0, 0.2, 0.2, 0.3, {"count": 1}),
    ("wink", ("winks",), "wink", {"AU12_L": 0.3, "AU6_L": 0.4}, 0.0, 0.1, 0.25, 0.2, {"side": "left"}),
    ("right-eye wink", ("winks with the right eye",), "wink", {"AU12_R": 0.3, "AU6_R": 0.4}, 0.0, 0.1, 0.25, 0.2, {"side": "right"}),
    ("closes the eyes", ("shuts the eyes", "keeps the eyes closed"), "eyes_closed", {"AU43_lids": 1.0}, 0.0, 0.25, 1.5, 0.3, {}),
    ("squint", ("squints", "narrows the eyes"), "expression", {"AU44_L": 0.9, "AU44_R": 0.9, "AU7": 0.5, "AU6": 0.3}, 0.0, 0.3, 1.2, 0.4, {}),
    ("eye widening", ("widens the eyes", "opens the eyes wide"), "expression", {"AU5": 1.0, "AU1": 0.3, "AU2": 0.3}, 0.0, 0.2, 1.0, 0.4, {}),
    ("lid droop", ("lets the eyelids droop", "lowers the eyelids"), "expression", {"AU41": 1.0}, 0.0, 0.5, 1.5, 0.6, {}),
    ("brow raise", ("raises the eyebrows", "lifts the brows"), "expression", {"AU1": 1.0, "AU2": 1.0}, 0.0, 0.25, 1.0, 0.4, {}),
    ("single brow raise", ("raises one eyebrow", "cocks an eyebrow"), "expression", {"AU2_L": 1.0, "AU1_L": 0.4}, 0.0, 0.25, 1.0, 0.4, {}),
    ("inner brow raise", ("raises the inner brows", "lifts the inner corners of the brows"), "expression", {"AU1": 1.0}, 0.0, 0.3, 1.0, 0.4, {}),
    ("frown", ("frowns", "furrows the brow", "knits the brows"), "expression", {"AU4": 1.0, "AU7": 0.2}, 0.0, 0.3, 1.2, 0.4, {}),
    ("brow flash", ("flashes the eyebrows", "gives a quick eyebrow flash"), "micro", {"AU1": 1.0, "AU2": 1.0}, 0.0, 0.08, 0.12, 0.12, {}),
    ("smile", ("smiles", "breaks into a smile"), "expression", {"AU12": 0.85, "AU6": 0.45}, 0.0, 0.4, 1.5, 0.5, {}),
    ("grin", ("grins", "grins broadly"), "expression", {"AU12": 1.0, "AU6": 0.6, "AU25": 0.8, "AU10": 0.3}, 0.02, 0.35, 1.5, 0.5, {}),
    ("smirk", ("smirks", "gives a half smile"), "expression", {"AU12_L": 0.75, "AU14_L": 0.55}, 0.0, 0.3, 1.2, 0.4, {}),
    ("right-sided smirk", ("smirks with the right side of the mouth", "gives a right-sided smirk"), "expression", {"AU12_R": 0.75, "AU14_R": 0.55}, 0.0, 0.3, 1.2, 0.4, {}),
    ("laugh", ("laughs", "bursts out laughing"), "talk", {"AU6": 0.9, "AU12": 1.0, "AU25": 0.9, "AU27": 0.2}, 0.12, 0.3, 1.8, 0.6, {"rate": 4.0}),
    ("pout", ("pouts", "pushes the lips out"), "expression", {"AU17": 0.6, "AU22": 0.4, "AU15": 0.3}, 0.0, 0.3, 1.2, 0.4, {}),
    ("lip press", ("presses the lips together", "tight-lipped"), "expression", {"AU24": 1.0, "AU23": 0.3}, 0.0, 0.25, 1.2, 0.4, {}),
    ("lip pucker", ("puckers the lips", "purses the lips"), "expression", {"AU18": 1.0}, 0.0, 0.3, 1.2, 0.4, {}),
    ("lip funnel", ("funnels the lips", "rounds the lips"), "expression", {"AU22": 1.0, "AU25": 0.3}, 0.02, 0.3, 1.0, 0.4, {}),
    ("lip suck", ("bites the lips", "sucks in the lips"), "expression", {"AU28": 1.0}, 0.0, 0.3, 1.0, 0.4, {}),
    ("lip stretch", ("stretches the lips", "pulls the lips wide"), "expression", {"AU20": 1.0}, 0.0, 0.25, 1.0, 0.4, {}),
    ("chin raise", ("raises the chin boss", "tightens the chin"), "expression", {"AU17": 1.0}, 0.0, 0.3, 1.0, 0.4, {}),
    ("mouth corners down", ("turns the mouth corners down", "pulls the lip corners down"), "expression", {"AU15": 1.0}, 0.0, 0.3, 1.0, 0.4, {}),
    ("upper lip raise", ("raises the upper lip", "lifts the upper lip"), "expression", {"AU10": 1.0}, 0.0, 0.3, 1.0, 0.4, {}),
    ("jaw drop", ("drops the jaw", "lets the mouth fall open"), "expression", {"AU25": 0.8, "AU27": 0.4}, 0.35, 0.3, 1.2, 0.5, {}),
    ("mouth open", ("opens the mouth", "parts the mouth"), "expression", {"AU25": 0.8}, 0.2, 0.3, 1.2, 0.4, {}),
    ("cheek puff", ("puffs the cheeks", "blows out the cheeks"), "expression", {"AU34_L": 1.0, "AU34_R": 1.0, "AU24": 0.6}, 0.0, 0.3, 1.2, 0.4, {}),
    ("cheek suck", ("sucks in the cheeks", "hollows the cheeks"), "expression", {"AU35": 1.0, "AU18": 0.3}, 0.0, 0.3, 1.0, 0.4, {}),
    ("nose wrinkle", ("wrinkles the nose", "scrunches the nose"), "expression", {"AU9_L": 1.0, "AU9_R": 1.0, "AU7": 0.3}, 0.0, 0.25, 1.0, 0.4, {}),
    ("sneer", ("sneers", "curls the upper lip"), "expression", {"AU9_L": 0.7, "AU10_L": 0.9, "AU4_L": 0.2}, 0.0, 0.25, 1.0, 0.4, {}),
    ("nostril flare", ("flares the nostrils", "widens the nostrils"), "expression", {"AU38": 1.0}, 0.0, 0.2, 0.8, 0.3, {}),
    ("jaw clench", ("clenches the jaw", "grits the teeth"), "expression", {"AU31": 1.0, "AU24": 0.5, "AU20": 0.3}, 0.0, 0.3, 1.2, 0.4, {}),
    ("jaw thrust", ("juts the jaw forward", "pushes the jaw out"), "expression", {"AU29": 1.0}, 0.02, 0.3, 1.0, 0.4, {}),
    ("yawn", ("yawns", "lets out a yawn"), "yawn", {"AU27": 0.8, "AU25": 1.0, "AU43_lids": 0.6, "AU6": 0.3}, 0.45, 0.9, 1.2, 1.0, {}),
    ("talking", ("speaks", "says something"), "talk", {"AU25": 0.5}, 0.09, 0.2, 2.5, 0.3, {"rate": 4.5}),
    ("mumbling", ("mutters", "mumbles something"), "talk", {"AU25": 0.25, "AU24": 0.2}, 0.04, 0.2, 2.0, 0.3, {"rate": 5.0}),
    ("micro smile", ("flashes a fleeting smile", "shows a flicker of a smile"), "micro", {"AU12": 0.6, "AU6": 0.2}, 0.0, 0.07, 0.1, 0.1, {}),
    ("flash of disgust", ("shows a brief flash of disgust", "lets slip a micro-expression of disgust"), "micro", {"AU9_L": 0.8, "AU9_R": 0.8, "AU10": 0.6}, 0.0, 0.06, 0.08, 0.08, {}),
    ("flash of contempt", ("shows a brief flash of contempt", "lets slip a micro-expression of contempt"), "micro", {"AU12_L": 0.7, "AU14_L": 0.8}, 0.0, 0.06, 0.1, 0.1, {}),
    ("flash of fear", ("shows a brief flash of fear", "lets slip a micro-expression of fear"), "micro", {"AU1": 0.9, "AU2": 0.6, "AU4": 0.5, "AU5": 0.9, "AU20": 0.7}, 0.0, 0.06, 0.08, 0.08, {}),
    ("flash of anger", ("shows a brief flash of anger", "lets slip a micro-expression of anger"), "micro", {"AU4": 1.0, "AU7": 0.7, "AU23": 0.7}, 0.0, 0.06, 0.1, 0.08, {}),
    ("flash of sadness", ("shows a brief flash of sadness", "lets slip a micro-expression of sadness"), "micro", {"AU1": 0.9, "AU15": 0.8}, 0.0, 0.06, 0.1, 0.1, {}),
    ("lip twitch", ("twitches the corner of the mouth", "gives a lip twitch"), "micro", {"AU12_R": 0.7}, 0.0, 0.04, 0.05, 0.06, {}),
]


def _actions() -> list[Descriptor]:
    return [
        Descriptor(name=name, category="action", synonyms=syn, family=kind, recipe=_merge(recipe, 1.0, {}), jaw=jaw,
                   onset=on, apex=ap, offset=off, extra=extra)
        for name, syn, kind, recipe, jaw, on, ap, off, extra in _ACTIONS
    ]


# ----------------------------------------------------------------------------- head motions
# (name, synonyms, kind, axis, amplitude rad, frequency Hz, cycles). Axis: 0 pitch (+ = face
# down), 1 yaw (+ = towards the subject's left), 2 roll (+ = top of head to the subject's right).
# Frequencies: slow nods 0.2-1.1 Hz, fast listener nods 2.6-6.5 Hz. No published amplitudes
# were found; these are plausible choices (nods 8-12 deg, shakes 10-15 deg, turns 20-30 deg).
_HEAD: list[tuple[str, tuple[str, ...], str, int, float, float, int]] = [
    ("still", ("keeps the head still", "motionless head"), "still", 0, 0.0, 0.0, 0),
    ("nod", ("nods", "nods in agreement"), "nod", 0, 0.17, 1.0, 2),
    ("slow nod", ("nods slowly", "a slow nod"), "nod", 0, 0.2, 0.5, 1),
    ("rapid nodding", ("nods quickly", "quick nods"), "nod", 0, 0.08, 2.8, 4),
    ("head shake", ("shakes the head", "shakes the head no"), "shake", 1, 0.22, 1.4, 2),
    ("slow head shake", ("shakes the head slowly",), "shake", 1, 0.2, 0.7, 2),
    ("tilt left", ("tilts the head to the left",), "tilt", 2, -0.2, 0.0, 0),
    ("tilt right", ("tilts the head to the right",), "tilt", 2, 0.2, 0.0, 0),
    ("turn left", ("turns the head to the left", "looks to the left"), "turn", 1, 0.45, 0.0, 0),
    ("turn right", ("turns the head to the right", "looks to the right"), "turn", 1, -0.45, 0.0, 0),
    ("look up", ("looks up", "raises the head"), "look", 0, -0.28, 0.0, 0),
    ("look down", ("looks down", "lowers the head"), "look", 0, 0.3, 0.0, 0),
    ("head bob", ("bobs the head",), "nod", 0, 0.07, 2.0, 3),
    ("chin up", ("lifts the chin",), "look", 0, -0.18, 0.0, 0),
]


def _heads() -> list[Descriptor]:
    return [
        Descriptor(name=name, category="head", synonyms=syn, family=kind,
                   extra={"axis": axis, "amplitude": amp, "frequency": freq, "cycles": cycles},
                   onset=0.5, apex=1.5, offset=0.6)
        for name, syn, kind, axis, amp, freq, cycles in _HEAD
    ]


_INTENSITIES = [
    ("subtle", ("faint", "barely visible"), 0.3),
    ("slight", ("a little", "slightly"), 0.4),
    ("mild", ("gentle", "soft"), 0.5),
    ("moderate", ("medium", "noticeable"), 0.65),
    ("clear", ("distinct", "evident"), 0.75),
    ("strong", ("pronounced", "marked"), 0.85),
    ("intense", ("very strong", "powerful"), 1.0),
    ("extreme", ("exaggerated", "overwhelming"), 1.1),
]

_TEMPI = [
    ("slowly", ("gradually", "little by little"), 1.4),
    ("steadily", ("smoothly",), 0.9),
    ("naturally", ("at an easy pace",), 0.6),
    ("promptly", ("readily",), 0.4),
    ("quickly", ("rapidly", "swiftly"), 0.25),
    ("suddenly", ("abruptly", "all at once"), 0.12),
    ("briefly", ("momentarily", "for a moment"), 0.3),
    ("repeatedly", ("again and again", "over and over"), 0.35),
]


@lru_cache(maxsize=1)
def lexicon() -> tuple[Descriptor, ...]:
    """All descriptors, emotions first."""
    entries = [*_emotions(), *_actions(), *_heads()]
    entries += [Descriptor(name=n, category="intensity", synonyms=s, family=n, value=v) for n, s, v in _INTENSITIES]
    entries += [Descriptor(name=n, category="tempo", synonyms=s, family=n, value=v) for n, s, v in _TEMPI]
    names = [d.name for d in entries]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate lexicon names: {sorted(duplicates)}")
    return tuple(entries)


def by_category(category: str) -> tuple[Descriptor, ...]:
    if category not in CATEGORIES:
        raise KeyError(f"unknown category '{category}'; expected one of {CATEGORIES}")
    return tuple(d for d in lexicon() if d.category == category)


@lru_cache(maxsize=1)
def _index() -> dict[str, Descriptor]:
    return {d.name: d for d in lexicon()}


def get(name: str) -> Descriptor:
    """The descriptor called ``name`` (canonical name, not a synonym)."""
    try:
        return _index()[name]
    except KeyError:
        raise KeyError(f"'{name}' is not in the Open3DFaceVid lexicon") from None


def emotion_families() -> tuple[str, ...]:
    return tuple(sorted({d.family for d in by_category("emotion")}))


# One plain word (itself a lexicon emotion of that family) that names each emotion family:
# coarse labels for answers that go from the family to the precise emotion.
FAMILY_WORDS = {
    "anger": "angry", "awe": "in awe", "boredom": "bored", "calm": "calm", "confusion": "confused",
    "contempt": "contemptuous", "determination": "determined", "disgust": "disgusted", "embarrassment": "embarrassed",
    "fear": "afraid", "interest": "interested", "joy": "joyful", "love": "loving", "neutral": "neutral", "pain": "in pain",
    "pride": "proud", "sadness": "sad", "shame": "ashamed", "skepticism": "skeptical", "surprise": "surprised",
    "tiredness": "tired",
}
