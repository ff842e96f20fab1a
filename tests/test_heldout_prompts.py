import pytest

from open3dfacevid.attributes import emotion_mentions
from open3dfacevid.lexicon import emotion_families
from tdmm_eval.heldout_prompts import (
    PARAPHRASES,
    STRONG_WORD,
    VALIDATION_INTENSITY_TEMPLATE,
    VALIDATION_PARAPHRASES,
    WEAK_WORD,
    intensity_pairs,
)


@pytest.mark.parametrize("paraphrases,least", [(PARAPHRASES, 30), (VALIDATION_PARAPHRASES, 20)])
def test_paraphrases_use_no_emotion_word_of_the_lexicon_and_name_real_families(paraphrases, least):
    for prompt, family in paraphrases:
        assert not emotion_mentions(prompt), f"{prompt!r} uses lexicon emotion words {emotion_mentions(prompt)}"
        assert family in emotion_families(), family
    assert len({p for p, _ in paraphrases}) == len(paraphrases) >= least


def test_validation_paraphrases_share_no_sentence_with_the_test_ones():
    assert not {p for p, _ in PARAPHRASES} & {p for p, _ in VALIDATION_PARAPHRASES}


@pytest.mark.parametrize("pairs", [intensity_pairs(), intensity_pairs(VALIDATION_INTENSITY_TEMPLATE)])
def test_intensity_pairs_differ_only_in_the_intensity_word(pairs):
    assert len(pairs) >= 12
    for weak, strong in pairs:
        assert weak.replace(WEAK_WORD, STRONG_WORD) == strong and weak != strong
    assert set(intensity_pairs()).isdisjoint(intensity_pairs(VALIDATION_INTENSITY_TEMPLATE))
