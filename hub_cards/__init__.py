"""tdmm-lm on the Hugging Face Hub: model and dataset cards rendered from templates with the evaluation
suite's numbers, their offline lint, and ``tdmm publish`` (a Hub-ready folder, checked, then uploaded).

Installed as ``tdmm_hub`` (source folder ``hub_cards/``). It sits just above ``modeling_tdmm`` so that
every writer of a card (the corpus builder, the trainers, the demo) renders it with the same templates.
"""
