"""Corpus BLEU-4 (and BLEU-1) as a local `evaluate` metric (sacrebleu; no Hub download).

    from tdmm_eval.text_metrics import load_text_metric
    bleu = load_text_metric("bleu4")  # tdmm_eval.text_metrics; or evaluate.load("eval/metrics/bleu4") in a checkout
    bleu.compute(predictions=["the face smiles"], references=[["the face smiles", "a smile"]])
"""
import datasets
import evaluate
import sacrebleu


class Bleu4(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Corpus BLEU-4 and BLEU-1 (sacrebleu, 13a tokenisation) over several references per prediction.",
            citation="Post, A Call for Clarity in Reporting BLEU Scores, WMT 2018.",
            inputs_description="predictions: list of str; references: list of list of str (one or more per prediction)",
            features=datasets.Features({
                "predictions": datasets.Value("string"),
                "references": datasets.Sequence(datasets.Value("string")),
            }),
        )

    def _compute(self, predictions, references):
        width = max(len(r) for r in references)
        streams = [[refs[k] if k < len(refs) else refs[0] for refs in references] for k in range(width)]
        score = sacrebleu.corpus_bleu(predictions, streams)
        unigram = sacrebleu.metrics.BLEU(max_ngram_order=1).corpus_score(predictions, streams)
        return {"bleu4": score.score, "bleu1": unigram.score, "precisions": score.precisions, "brevity_penalty": score.bp}
