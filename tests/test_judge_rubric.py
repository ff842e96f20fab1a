"""The offline CorE / CorM / CorI rubric on descriptions with known answers, and its LLM prompt."""
import json
import math
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tdmm_eval.evaluator_labels import attributes_of
from tdmm_eval.judge_rubric import RUBRIC, mean_rubric_scores, rubric_prompt, rubric_scores


def truth(emotions=("happy",), intensity="moderate", head=("nod", "nod"), actions=(), events=()):
    """A clip's attributes with just what the rubric reads."""
    return {"emotions": list(emotions), "intensity": intensity, "head_motion": {"name": head[0], "kind": head[1]},
            "actions": list(actions), "events": [{"type": "action", "name": n} for n in events or actions],
            "blink_count": 0}


HAPPY_NOD = truth()


@pytest.mark.parametrize("text, expected", [
    ("The man looks moderately happy. He nods twice.", {"CorE": 5, "CorM": 5, "CorI": 5}),
    ("The man looks moderately glad. He nods twice.", {"CorE": 5, "CorM": 5, "CorI": 5}),       # a synonym
    ("The man looks moderately cheerful. He nods twice.", {"CorE": 4, "CorM": 5, "CorI": 5}),   # same family
    ("The man looks moderately proud. He nods twice.", {"CorE": 3, "CorM": 5, "CorI": 5}),      # adjacent family
    ("The man looks moderately curious. He nods twice.", {"CorE": 2, "CorM": 5, "CorI": 5}),    # same valence
    ("The man looks moderately sad. He nods twice.", {"CorE": 1, "CorM": 5, "CorI": 5}),        # opposite valence
    ("The man nods twice.", {"CorE": 1, "CorM": 5, "CorI": 2}),                                 # no emotion, no level
    ("The man looks moderately happy. He looks up.", {"CorE": 5, "CorM": 3, "CorI": 5}),        # same axis
    ("The man looks moderately happy. He shakes his head.", {"CorE": 5, "CorM": 1, "CorI": 5}),
    ("The man looks moderately happy and barely moves.", {"CorE": 5, "CorM": 1, "CorI": 5}),
    ("The man looks moderately happy, nods and frowns.", {"CorE": 5, "CorM": 4, "CorI": 5}),    # invented action
    ("The man looks slightly happy. He nods.", {"CorE": 5, "CorM": 5, "CorI": 3}),
    ("The man looks intensely happy. He nods.", {"CorE": 5, "CorM": 5, "CorI": 2}),
    ("The man looks extremely happy. He nods.", {"CorE": 5, "CorM": 5, "CorI": 1}),
])
def test_single_emotion_clip(text, expected):
    assert rubric_scores(text, HAPPY_NOD) == expected


def test_neutral_clip_without_head_motion():
    still = truth(emotions=("neutral",), intensity="strong", head=("still", "still"))
    assert rubric_scores("A neutral face; the head stays still.", still) == {"CorE": 5, "CorM": 5, "CorI": 5}
    assert rubric_scores("Nothing much happens.", still) == {"CorE": 5, "CorM": 5, "CorI": 5}
    assert rubric_scores("The face looks pensive.", still)["CorE"] == 4          # the neutral family
    assert rubric_scores("The face looks slightly angry.", still)["CorI"] == 4   # a level where there is none
    assert rubric_scores("The face looks intensely angry.", still)["CorI"] == 1
    assert rubric_scores("A neutral face; the head nods.", still)["CorM"] == 1


def test_transition_clip():
    mixed = truth(emotions=("content", "nervous"), intensity="subtle", head=("still", "still"))
    assert rubric_scores("Subtly content, then nervous. The head barely moves.", mixed)["CorE"] == 5
    assert rubric_scores("Subtly nervous, then content.", mixed)["CorE"] == 4    # both, wrong order
    assert rubric_scores("Subtly cheerful, then anxious.", mixed)["CorE"] == 4   # both families
    assert rubric_scores("Subtly cheerful.", mixed)["CorE"] == 3                 # one of the two
    assert rubric_scores("Subtly sad.", mixed)["CorE"] == 2                      # the valence of 'nervous'
    assert rubric_scores("No expression to speak of.", mixed)["CorE"] == 1


def test_facial_actions():
    smiling = truth(emotions=("neutral",), head=("still", "still"), actions=("smile",))
    assert rubric_scores("A neutral face; the person smiles.", smiling)["CorM"] == 5
    assert rubric_scores("A neutral face.", smiling)["CorM"] == 3               # head right, action missed
    assert rubric_scores("A neutral face; the person smiles and frowns.", smiling)["CorM"] == 4
    assert rubric_scores("A neutral face; the person smiles and nods.", smiling)["CorM"] == 3
    assert rubric_scores("A forced smile; the head stays still.", smiling)["CorM"] == 3  # an emotion, not the action
    blinking = truth(emotions=("neutral",), head=("still", "still"), actions=("double blink",))
    assert rubric_scores("They blink twice. The head stays still.", blinking)["CorM"] == 5
    wink = truth(emotions=("neutral",), head=("still", "still"), actions=("right-eye wink",))
    assert rubric_scores("They wink with the right eye.", wink)["CorM"] == 5


def test_ground_truth_captions_score_five():
    """Every caption the corpus writes is right by construction, except that the terse 'Expression: ... Head: ...'
    caption leaves prompted actions out (it is not scored here)."""
    sample = Path(__file__).resolve().parents[1] / "open3dfacevid" / "data" / "sample"
    rows = [row for path in sorted(sample.glob("*.parquet"))
            for row in pq.read_table(path, columns=["captions", "attributes"]).to_pylist()]
    attributes = [attributes_of(row) for row in rows]
    first = mean_rubric_scores([row["captions"][0] for row in rows], attributes)
    assert first == {"CorE": 5.0, "CorM": 5.0, "CorI": 5.0}
    shuffled = mean_rubric_scores([rows[(i + 7) % len(rows)]["captions"][0] for i in range(len(rows))], attributes)
    assert all(value < 3.0 for value in shuffled.values())


def test_mean_checks_lengths_and_empty():
    with pytest.raises(ValueError, match="2 descriptions but 1"):
        mean_rubric_scores(["a", "b"], [HAPPY_NOD])
    assert all(math.isnan(value) for value in mean_rubric_scores([], []).values())


def test_prompt_carries_the_rubric_and_the_ground_truth():
    system, user = rubric_prompt("The man looks glad.", truth(actions=("smile",)))
    assert system["role"] == "system" and RUBRIC in system["content"] and '"CorE": n' in system["content"]
    assert user["role"] == "user" and user["content"].endswith("The man looks glad.")
    for fact in ("happy (family: joy)", "Intensity: moderate", "nod (kind: nod)", "Prompted facial actions: smile"):
        assert fact in user["content"]
    json.dumps([system, user])
