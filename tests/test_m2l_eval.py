import numpy as np
import pytest
import torch

from modeling_tdmm.configuration_geometry_tokenizer import GeometryTokenizerConfig
from modeling_tdmm.modeling_geometry_tokenizer import GeometryTokenizer
from modeling_tdmm.processing_face_tokens import FaceTokenProcessor
from tdmm_eval.description_baselines import MajorityDescription, NearestCaption
from tdmm_eval.description_scores import attribute_accuracy, judge, truth_of
from tdmm_eval.l2m_eval import frechet_distance, motion_features, param_l2

ATTRIBUTES = {"emotions": ["delighted"], "emotion_families": ["joy"], "intensity": "strong",
              "head_motion": {"kind": "nod", "name": "nod twice"}}
NEUTRAL = {"emotions": ["neutral"], "emotion_families": ["neutral"], "intensity": "moderate",
           "head_motion": {"kind": "still", "name": "still"}}


def test_truth_and_judge_agree_on_a_matching_description():
    assert truth_of(ATTRIBUTES) == {"emotion": "joy", "head_motion": "nod", "intensity": "strong"}
    assert truth_of(NEUTRAL) == {"emotion": "neutral", "head_motion": "still", "intensity": None}
    read = judge("The woman looks strongly delighted and nods twice.")
    assert read == {"emotion": "joy", "head_motion": "nod", "intensity": "strong"}


def test_attribute_accuracy_scores_each_attribute():
    texts = ["The woman looks strongly joyful and nods.", "A man looks slightly furious, shaking the head.",
             "The face stays neutral and the head barely moves."]
    scores = attribute_accuracy(texts, [ATTRIBUTES, ATTRIBUTES, NEUTRAL])
    assert scores["emotion"] == pytest.approx(2 / 3) and scores["head_motion"] == pytest.approx(2 / 3)
    assert scores["intensity"] == pytest.approx(1 / 2)  # the neutral clip has no intensity to score
    assert scores["intensity_within_one"] == pytest.approx(1 / 2)  # "slightly" is four levels below "strong"
    near = attribute_accuracy(["The woman looks intensely joyful.", "The woman looks mildly joyful."], [ATTRIBUTES] * 2)
    assert near["intensity"] == 0.0 and near["intensity_within_one"] == pytest.approx(1 / 2)  # intense: one above strong
    with pytest.raises(ValueError, match="2 texts but 1"):
        attribute_accuracy(texts[:2], [ATTRIBUTES])


def test_nearest_caption_finds_the_clip_with_the_same_codes():
    codes = [np.array([1, 1, 2, 3]), np.array([7, 8, 8, 9]), np.array([4, 4, 4, 5])]
    captions = [["first"], ["second", "again"], ["third"]]
    nearest = NearestCaption(codes, captions, codebook_size=10)
    assert nearest.predict([np.array([8, 9, 7, 8]), np.array([5, 4, 4])]) == ["second", "third"]
    with pytest.raises(ValueError, match="as many"):
        NearestCaption(codes, captions[:2], 10)


def test_nearest_caption_with_factorised_codes_matches_face_codes_whatever_the_head_does():
    heads = 4  # id = face * 4 + head: the query has the second clip's face codes with other head codes
    codes = [np.array([4, 4, 5, 6]), np.array([8, 9, 10, 12]), np.array([16, 17, 16, 17])]
    nearest = NearestCaption(codes, [["first"], ["second"], ["third"]], codebook_size=20, head_codebook_size=heads)
    assert nearest.predict([np.array([11, 11, 14, 15])]) == ["second"]


def test_majority_answers_the_most_common_attribute_combination():
    captions = [["A woman looks happy and nods."], ["A man looks joyful, nodding."], ["A man looks furious."]]
    majority = MajorityDescription(captions, key=lambda t: tuple(judge(t).values()))
    assert majority.predict(2) == ["A woman looks happy and nods."] * 2


def initialised_face_rows(geometry):
    """(face-token rows ``[64, 32]``, embedding before, embedding after, tokenizer) of a text tokenizer given the
    64 face tokens of ``geometry`` and codebook-initialised rows."""
    from transformers import AutoTokenizer

    from modeling_tdmm.text_encoders import resolve_text_encoder

    processor = FaceTokenProcessor.for_tokenizer(geometry)
    tokenizer = AutoTokenizer.from_pretrained(resolve_text_encoder("all-MiniLM-L6-v2"))
    embedding = torch.nn.Embedding(len(tokenizer) + 66, 32)

    class Holder:
        def get_input_embeddings(self):
            return embedding

    processor.add_to_tokenizer(tokenizer)
    before = embedding.weight.detach().clone()
    processor.init_embeddings(Holder(), tokenizer)
    rows = embedding.weight.detach()[tokenizer.convert_tokens_to_ids([processor.token(i) for i in range(64)])]
    return rows, before, embedding.weight.detach(), tokenizer


def test_codebook_initialised_face_embeddings_follow_code_similarity():
    geometry = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=64, code_dim=4, hidden_size=16, num_res_blocks=1))
    book = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    book[1] = book[0] + 1e-3  # codes 0 and 1 nearly identical, code 7 the opposite of 0
    book[7] = -book[0]
    geometry.quantizer.codebook.copy_(book)
    rows, before, after, tokenizer = initialised_face_rows(geometry)
    cosine = torch.nn.functional.cosine_similarity
    assert cosine(rows[0], rows[1], dim=0) > 0.99 and cosine(rows[0], rows[7], dim=0) < -0.5
    marker = tokenizer.convert_tokens_to_ids("<|face_start|>")
    assert torch.equal(after[marker], before[marker])


def test_factorised_face_embeddings_start_from_face_plus_head_codes():
    """Tokens that share a face code start closer to each other than tokens that share nothing."""
    geometry = GeometryTokenizer(GeometryTokenizerConfig(codebook_size=64, head_codebook_size=8, code_dim=8, hidden_size=16,
                                                         num_res_blocks=1))
    geometry.quantizer.codebook.copy_(torch.randn(8, 8, generator=torch.Generator().manual_seed(0)))
    geometry.head_quantizer.codebook.copy_(torch.randn(8, 8, generator=torch.Generator().manual_seed(1)))
    rows = initialised_face_rows(geometry)[0]
    cosine = torch.nn.functional.cosine_similarity(rows[:, None], rows[None], dim=-1)  # [64, 64]
    face = torch.arange(64) // 8
    same_face = (face[:, None] == face[None]) & ~torch.eye(64, dtype=torch.bool)
    unrelated = (face[:, None] != face[None]) & ((torch.arange(64) % 8)[:, None] != (torch.arange(64) % 8)[None])
    assert cosine[same_face].mean() > cosine[unrelated].mean() + 0.3


def test_motion_metrics():
    rng = np.random.default_rng(0)
    a = {k: rng.normal(size=(40, d)) for k, d in (("expression", 50), ("jaw_pose", 3), ("eyelids", 2), ("head_pose", 3))}
    b = {k: v + 0.1 for k, v in a.items()}
    assert motion_features(a).shape == (174,)
    assert param_l2(a, a) == 0.0 and param_l2(a, b) == pytest.approx(0.1 * np.sqrt(58))
    same = rng.normal(size=(200, 6))
    assert frechet_distance(same, same) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(same, same + 3.0) == pytest.approx(6 * 9.0, rel=1e-3)
