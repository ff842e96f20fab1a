"""CIDEr-D as a local `evaluate` metric (no Hub download, no Java): consensus with all references.

    from tdmm_eval.text_metrics import load_text_metric
    cider = load_text_metric("cider")
    cider.compute(predictions=["the face smiles"], references=[["the face smiles", "a smile"]])

Vedantam et al. 2015, with the CIDEr-D changes of the coco-caption code: n-grams of 1 to 4
words weighted by TF-IDF (document frequencies over the references of the evaluated set),
cosine similarity with clipped candidate counts, a Gaussian penalty on the length difference
(sigma 6), averaged over n and references, times 10. Text is lower-cased and split on
non-alphanumerics (the reference code uses the PTB tokenizer).
"""
import math
import re
from collections import Counter

import datasets
import evaluate

MAX_N, SIGMA = 4, 6.0


def _ngrams(text: str) -> list[Counter]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return [Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1)) for n in range(1, MAX_N + 1)], len(words)


class Cider(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="CIDEr-D: TF-IDF weighted n-gram consensus between a caption and all its references (x10).",
            citation="Vedantam, Zitnick, Parikh. CIDEr: Consensus-based Image Description Evaluation. CVPR 2015.",
            inputs_description="predictions: list of str; references: list of list of str (one or more per prediction)",
            features=datasets.Features({
                "predictions": datasets.Value("string"),
                "references": datasets.Sequence(datasets.Value("string")),
            }),
        )

    def _compute(self, predictions, references):
        refs = [[_ngrams(r) for r in group] for group in references]
        frequency = [Counter() for _ in range(MAX_N)]
        for group in refs:
            for n in range(MAX_N):
                frequency[n].update(set().union(*(grams[n].keys() for grams, _ in group)))
        log_count = math.log(max(len(refs), 1))

        def vector(grams: list[Counter]) -> tuple[list[dict], list[float]]:
            vectors, norms = [], []
            for n in range(MAX_N):
                weights = {g: c * (log_count - math.log(max(1.0, frequency[n][g]))) for g, c in grams[n].items()}
                vectors.append(weights)
                norms.append(math.sqrt(sum(w * w for w in weights.values())))
            return vectors, norms

        scores = []
        for prediction, group in zip(predictions, refs):
            grams, length = _ngrams(prediction)
            vec, norm = vector(grams)
            total = 0.0
            for ref_grams, ref_length in group:
                ref_vec, ref_norm = vector(ref_grams)
                per_n = 0.0
                for n in range(MAX_N):
                    dot = sum(min(w, ref_vec[n].get(g, 0.0)) * ref_vec[n].get(g, 0.0) for g, w in vec[n].items())
                    if norm[n] and ref_norm[n]:
                        per_n += dot / (norm[n] * ref_norm[n])
                total += per_n / MAX_N * math.exp(-((length - ref_length) ** 2) / (2 * SIGMA**2))
            scores.append(10.0 * total / max(len(group), 1))
        return {"cider": sum(scores) / max(len(scores), 1), "scores": scores}
