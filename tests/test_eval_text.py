import pytest

from open3dfacevid.attributes import emotion_family, extract_emotions, extract_head_motion, extract_intensity
from open3dfacevid.prompts import sample_specs
from open3dfacevid.synthesizer import synthesize
from tdmm_eval.text_metrics import load_text_metric


def test_extractor_reads_the_ground_truth_back_from_captions():
    clips = [synthesize(s) for s in sample_specs(300, seed=9)]
    emotion_hits = head_hits = total_head = 0
    for clip in clips:
        truth = clip.attributes["emotion_families"][0]
        emotion_hits += emotion_family(clip.captions[0]) == truth
        kind = clip.attributes["head_motion"]["kind"]
        total_head += 1
        head_hits += extract_head_motion(clip.captions[0]) == kind
    assert emotion_hits / len(clips) >= 0.95
    assert head_hits / total_head >= 0.9


def test_extractor_details():
    assert extract_emotions("She looks slightly worried, then surprised.") == ["worried", "surprised"]
    assert extract_emotions("He is in awe.") == ["in awe"]
    assert emotion_family("The face stays neutral.") == "neutral"
    assert extract_head_motion("They shake their head twice.") == "shake"
    assert extract_intensity("The expression is strong: strongly expressed.") == "strong"


def test_local_metric_modules_load_offline_and_score():
    bleu, rouge = load_text_metric("bleu4"), load_text_metric("rouge_l")
    same = bleu.compute(predictions=["the person smiles and nods twice"], references=[["the person smiles and nods twice"]])
    assert same["bleu4"] == pytest.approx(100.0)
    other = bleu.compute(predictions=["a frown"], references=[["the person smiles and nods twice", "a smile"]])
    assert other["bleu4"] < 20
    assert rouge.compute(predictions=["the person smiles"], references=[["a frown", "the person smiles"]])["rougeL"] == pytest.approx(1.0)
    assert rouge.compute(predictions=["nothing alike"], references=[["the person smiles"]])["rougeL"] == 0.0


def test_bleu1_cider_and_bertscore_on_known_inputs():
    bleu = load_text_metric("bleu4")
    assert bleu.compute(predictions=["the person smiles"], references=[["the person smiles"]])["bleu1"] == pytest.approx(100.0)
    cider = load_text_metric("cider")
    references = [["the person smiles and nods", "a smile and a nod"], ["she frowns and shakes her head", "a frown"],
                  ["he looks surprised", "surprise on his face"]]
    perfect = cider.compute(predictions=[r[0] for r in references], references=references)
    wrong = cider.compute(predictions=[references[(i + 1) % 3][0] for i in range(3)], references=references)
    assert perfect["cider"] > 3.0 and wrong["cider"] < 0.5 * perfect["cider"]
    assert cider.compute(predictions=["xyz"], references=[["the person smiles"]])["cider"] == 0.0
    bertscore = load_text_metric("bertscore")
    same = bertscore.compute(predictions=["the person smiles"], references=[["a frown", "the person smiles"]])
    assert same["f1"] == pytest.approx(1.0, abs=1e-4) and same["encoder"] == "all-MiniLM-L6-v2"
    close = bertscore.compute(predictions=["the woman smiles"], references=[["the person smiles"]])["f1"]
    far = bertscore.compute(predictions=["stock prices fell sharply"], references=[["the person smiles"]])["f1"]
    assert 1.0 > close > far
