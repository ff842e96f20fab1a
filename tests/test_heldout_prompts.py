import re

from open3dfacevid.lexicon import by_category, emotion_families
from tdmm_eval.heldout_prompts import PARAPHRASES, STRONG_WORD, WEAK_WORD, intensity_pairs


def test_paraphrases_use_no_emotion_word_of_the_lexicon_and_name_real_families():
    words = {w.lower() for d in by_category("emotion") for w in (d.name, *d.synonyms)}
    for prompt, family in PARAPHRASES:
        lowered = prompt.lower()
        used = [w for w in words if re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", lowered)]
        assert not used, f"{prompt!r} uses lexicon emotion words {used}"
        assert family in emotion_families(), family
    assert len({p for p, _ in PARAPHRASES}) == len(PARAPHRASES) >= 30


def test_intensity_pairs_differ_only_in_the_intensity_word():
    pairs = intensity_pairs()
    assert len(pairs) >= 12
    for weak, strong in pairs:
        assert weak.replace(WEAK_WORD, STRONG_WORD) == strong and weak != strong
