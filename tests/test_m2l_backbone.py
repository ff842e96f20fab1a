import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from open3dfacevid.prompts import sample_specs
from open3dfacevid.synthesizer import synthesize
from tdmm_train.m2l_backbone import IM_END, IM_START, build_backbone, train_text_tokenizer

TEXTS = [t for c in (synthesize(s) for s in sample_specs(40, seed=0)) for t in (c.prompt, *c.captions)]


def test_byte_level_tokenizer_round_trips_any_text():
    tokenizer = train_text_tokenizer(TEXTS, vocab_size=600)
    for text in ("The person looks mildly worried, then surprised.", "Ünïcödé & émojis 🙂 and <tags>", "  spaces\n\tand tabs"):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text
    assert len(tokenizer(IM_START + IM_END, add_special_tokens=False)["input_ids"]) == 2
    common = tokenizer("The person looks", add_special_tokens=False)["input_ids"]
    assert len(common) <= 4  # corpus words became whole tokens


def test_chat_template_marks_assistant_turns_only():
    tokenizer = train_text_tokenizer(TEXTS, vocab_size=600)
    messages = [{"role": "system", "content": "You describe faces."}, {"role": "user", "content": "What happens?"},
                {"role": "assistant", "content": "The person smiles."}]
    out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = out["input_ids"], out["assistant_masks"]
    answer = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    assert answer == "The person smiles." + IM_END
    prompt = tokenizer.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith(IM_START + "assistant\n")


def test_backbone_saves_and_loads_offline_and_generates(tmp_path):
    folder = build_backbone(TEXTS, tmp_path / "backbone", vocab_size=600, hidden_size=32, num_layers=1, num_heads=2,
                            num_kv_heads=1, intermediate_size=64)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    assert model.config.model_type == "qwen3" and model.config.vocab_size == len(tokenizer)
    assert tokenizer.chat_template and tokenizer.eos_token == IM_END
    inputs = tokenizer.apply_chat_template([{"role": "user", "content": "Describe."}], add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]
