"""Appearance sentences: the face by its parts, no emotion word, consistent with the clip's recipe."""
import numpy as np

from open3dfacevid.appearance import appearance_sentence, appearance_texts, face_phrases
from open3dfacevid.attributes import emotion_mentions
from open3dfacevid.lexicon import by_category


def attributes(emotion: str, intensity: float = 0.85, head: str = "still", actions: tuple[str, ...] = (),
               gender: str = "woman") -> dict:
    return {"emotions": [emotion], "intensity_value": intensity, "head_motion": {"name": head}, "actions": list(actions),
            "subject": {"label": f"young adult {gender}", "gender": gender}}


def test_no_sentence_uses_an_emotion_word_and_every_expressive_emotion_is_described():
    for descriptor in by_category("emotion"):
        for intensity in (0.3, 0.75, 1.1):
            for text in appearance_texts(attributes(descriptor.name, intensity, head="nod"), 3, seed=0):
                assert not emotion_mentions(text), (descriptor.name, text)
                assert "{" not in text and text.endswith(".")
            if descriptor.recipe:
                assert face_phrases(descriptor.name, intensity, np.random.default_rng(0)), descriptor.name


def test_sentences_follow_the_recipe():
    rng = np.random.default_rng(0)
    anger = " ".join(appearance_sentence(attributes("furious", 1.1), rng) for _ in range(6))
    assert "brow" in anger and "lips" in anger and "smil" not in anger
    joy = " ".join(appearance_sentence(attributes("happy", 1.0), rng) for _ in range(6))
    assert any(w in joy for w in ("smile", "grin", "corners of")) and "frown" not in joy
    faint = appearance_sentence(attributes("sad", 0.3), rng)
    assert any(w in faint for w in ("slightly", "faintly", "barely")), faint
    still = appearance_sentence(attributes("neutral"), rng)
    assert any(w in still for w in ("still", "no expression", "motionless")), still


def test_head_motion_action_and_possessive_appear():
    texts = appearance_texts(attributes("surprised", head="head shake", actions=("wink",), gender="man"), 8, seed=3)
    assert all("shak" in t and "wink" in t for t in texts), texts
    assert any(" his " in t for t in texts) and not any(" her " in t for t in texts)


def test_deterministic_and_silent_without_ground_truth():
    a = attributes("disgusted")
    assert appearance_texts(a, 3, seed=[1, 2]) == appearance_texts(a, 3, seed=[1, 2])
    assert appearance_texts({"emotions": ["happy"]}, 3, seed=0) == []  # no intensity recorded: real tracked data
    assert appearance_texts(a, 0, seed=0) == []
