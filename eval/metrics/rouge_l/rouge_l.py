"""ROUGE-L F1 as a local `evaluate` metric (rouge-score; no Hub download), best over references.

    from tdmm_eval.text_metrics import load_text_metric
    rouge = load_text_metric("rouge_l")  # tdmm_eval.text_metrics; or evaluate.load("eval/metrics/rouge_l") in a checkout
    rouge.compute(predictions=["the face smiles"], references=[["the face smiles"]])
"""
import datasets
import evaluate
from rouge_score import rouge_scorer


class RougeL(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Mean over predictions of the best ROUGE-L F1 against any of its references.",
            citation="Lin, ROUGE: A Package for Automatic Evaluation of Summaries, 2004.",
            inputs_description="predictions: list of str; references: list of list of str",
            features=datasets.Features({
                "predictions": datasets.Value("string"),
                "references": datasets.Sequence(datasets.Value("string")),
            }),
        )

    def _compute(self, predictions, references):
        scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
        best = [max(scorer.score(ref, pred)["rougeL"].fmeasure for ref in refs) for pred, refs in zip(predictions, references)]
        return {"rougeL": sum(best) / max(len(best), 1)}
