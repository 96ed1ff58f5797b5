"""Week 3's models from the offline cache: real behaviour for the real ones, types and shapes for the random ones."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from llmcourse.settings import HF_MODELS
from tests import offline_cache

WEEK3 = Path(__file__).resolve().parent.parent / "week3"
TEXT = "I am excited to show Tokenizers in action to my LLM engineers"


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    offline_cache.build()


# --- real tokenizers: ids as printed by the real ones in the course's first edition ----------------


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("tokenizer_llama", [128000, 40, 1097, 12304, 311, 1501, 9857, 12509, 304, 1957, 311, 856, 445, 11237, 25175]),
        (
            "tokenizer_llama_mirror",
            [128000, 40, 1097, 12304, 311, 1501, 9857, 12509, 304, 1957, 311, 856, 445, 11237, 25175],
        ),
        ("tokenizer_phi", [306, 626, 24173, 304, 1510, 25159, 19427, 297, 3158, 304, 590, 365, 26369, 6012, 414]),
        ("tokenizer_qwen", [40, 1079, 12035, 311, 1473, 9660, 12230, 304, 1917, 311, 847, 444, 10994, 24198]),
    ],
)
def test_tokenizer_ids_equal_the_real_tokenizers(name, ids):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(HF_MODELS[name])
    assert tokenizer.encode(TEXT) == ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == TEXT


@pytest.mark.parametrize(
    ("name", "size"),
    [("tokenizer_llama", 128256), ("tokenizer_phi", 32011), ("tokenizer_qwen", 151646), ("tokenizer_starcoder", 49152)],
)
def test_vocabulary_sizes_equal_the_real_tokenizers(name, size):
    from transformers import AutoTokenizer

    assert len(AutoTokenizer.from_pretrained(HF_MODELS[name])) == size


def test_starcoder2_tokenizes_code_like_the_real_one():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(HF_MODELS["tokenizer_starcoder"])
    code = '\ndef hello_world(person):\n  print("Hello", person)\n'
    assert tokenizer.encode(code) == [
        222,
        610,
        17966,
        100,
        5879,
        45,
        6427,
        731,
        353,
        1489,
        459,
        8302,
        411,
        4944,
        46,
        222,
    ]
    assert len(tokenizer) == 49152


def test_llama31_special_tokens_and_chat_template():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(HF_MODELS["tokenizer_llama"])
    assert len(tokenizer) == 128256
    added = tokenizer.get_added_vocab()
    assert added["<|eot_id|>"] == 128009 and added["<|python_tag|>"] == 128010 and added["<|eom_id|>"] == 128008
    assert added["<|reserved_special_token_2|>"] == 128005 and added["<|finetune_right_pad_id|>"] == 128004
    messages = [
        {"role": "system", "content": "You are a helpful assistant"},
        {"role": "user", "content": "Tell a light-hearted joke for a room of Data Scientists"},
    ]
    assert tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
        "You are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
        "Tell a light-hearted joke for a room of Data Scientists<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )
    assert tokenizer.eos_token == "<|eot_id|>"


def test_phi3_and_qwen2_chat_templates():
    from transformers import AutoTokenizer

    messages = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    phi3 = AutoTokenizer.from_pretrained(HF_MODELS["tokenizer_phi"])
    assert phi3.apply_chat_template(messages, tokenize=False, add_generation_prompt=True) == (
        "<|system|>\nBe brief<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n"
    )
    qwen2 = AutoTokenizer.from_pretrained(HF_MODELS["tokenizer_qwen"])
    assert qwen2.apply_chat_template(messages[1:], tokenize=False, add_generation_prompt=True) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


# --- real weights -------------------------------------------------------------------------------


def test_smollm2_answers_through_the_text_generation_pipeline():
    import torch
    from transformers import pipeline

    generator = pipeline("text-generation", model=HF_MODELS["chat"], dtype=torch.float32)
    messages = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
    conversation = generator(messages, max_new_tokens=20, do_sample=False)[0]["generated_text"]
    assert conversation[:1] == messages
    reply = conversation[-1]
    assert reply["role"] == "assistant"
    assert isinstance(reply["content"], str) and reply["content"].strip()


def test_smollm2_weights_are_the_real_model():
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(HF_MODELS["chat"])
    model = AutoModelForCausalLM.from_pretrained(HF_MODELS["chat"], dtype=torch.float32)
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(134.5e6, rel=0.01)
    # A trained model finds real text far more likely than shuffled tokens; random weights would not.
    ids = tokenizer("The capital of France is Paris. The capital of Germany is Berlin.", return_tensors="pt").input_ids
    shuffled = ids[:, torch.randperm(ids.shape[1], generator=torch.Generator().manual_seed(0))]
    with torch.no_grad():
        real_loss = model(ids, labels=ids).loss.item()
        shuffled_loss = model(shuffled, labels=shuffled).loss.item()
    assert real_loss < 4.0 < shuffled_loss


def test_minilm_ranks_kitten_closer_to_cat_than_stocks():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(HF_MODELS["embeddings"])
    cat, kitten, stocks = model.encode(["cat", "kitten", "stocks"], normalize_embeddings=True)
    assert cat.shape == (384,)
    assert float(cat @ kitten) > float(cat @ stocks) + 0.3


def test_minilm_through_the_feature_extraction_pipeline_with_mean_pooling():
    from transformers import pipeline

    embedder = pipeline("feature-extraction", model=HF_MODELS["embeddings"])

    def embed(text: str) -> np.ndarray:
        vectors = np.array(embedder(text)[0])
        assert vectors.ndim == 2 and vectors.shape[1] == 384
        vector = vectors.mean(axis=0)
        return vector / np.linalg.norm(vector)

    cat, kitten, stocks = embed("cat"), embed("kitten"), embed("stocks")
    assert cat @ kitten > cat @ stocks


# --- tiny random models: types and shapes ------------------------------------------------------------


def test_sentiment_pipeline_types():
    from transformers import pipeline

    classifier = pipeline("sentiment-analysis", model=HF_MODELS["sentiment"])
    results = classifier(["This course is wonderful.", "The installation broke my laptop."])
    assert len(results) == 2
    for result in results:
        assert result["label"] in {"NEGATIVE", "POSITIVE"}
        assert 0.0 <= result["score"] <= 1.0


def test_ner_model_and_pipeline_shapes():
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    tokenizer = AutoTokenizer.from_pretrained(HF_MODELS["ner"])
    model = AutoModelForTokenClassification.from_pretrained(HF_MODELS["ner"])
    inputs = tokenizer("Barack Obama was the 44th president of the United States.", return_tensors="pt")
    with torch.no_grad():
        logits = model(**inputs).logits
    assert logits.shape == (1, inputs["input_ids"].shape[1], 9)
    assert set(model.config.id2label.values()) == {
        "O",
        "B-MISC",
        "I-MISC",
        "B-PER",
        "I-PER",
        "B-ORG",
        "I-ORG",
        "B-LOC",
        "I-LOC",
    }
    ner = pipeline("ner", model=HF_MODELS["ner"], aggregation_strategy="simple")
    for entity in ner("Barack Obama was the 44th president of the United States."):
        assert entity["entity_group"] in {"MISC", "PER", "ORG", "LOC"}
        assert isinstance(entity["word"], str) and 0 <= entity["start"] < entity["end"]


def test_zero_shot_pipeline_types():
    from transformers import pipeline

    classifier = pipeline("zero-shot-classification", model=HF_MODELS["zero_shot"])
    labels = ["technology", "sports", "politics"]
    result = classifier("Hugging Face's Transformers library is amazing!", candidate_labels=labels)
    assert sorted(result["labels"]) == sorted(labels)
    assert sum(result["scores"]) == pytest.approx(1.0, abs=1e-4)


def _meeting_audio() -> tuple[np.ndarray, int]:
    with wave.open(str(WEEK3 / "data" / "meeting.wav")) as recording:
        assert (recording.getnchannels(), recording.getsampwidth()) == (1, 2)
        rate = recording.getframerate()
        samples = np.frombuffer(recording.readframes(recording.getnframes()), dtype=np.int16)
    return samples.astype(np.float32) / 32768, rate


def test_shipped_meeting_recording_is_small_16khz_mono():
    audio, rate = _meeting_audio()
    assert rate == 16000
    assert 10 < len(audio) / rate < 30
    assert (WEEK3 / "data" / "meeting.wav").stat().st_size < 1_000_000
    assert np.abs(audio).max() > 0.5  # not silence
    assert (WEEK3 / "data" / "meeting.txt").read_text().count("\n") >= 4


def test_whisper_processor_and_pipeline_shapes():
    from transformers import AutoProcessor, pipeline

    audio, rate = _meeting_audio()
    processor = AutoProcessor.from_pretrained(HF_MODELS["speech_to_text"])
    features = processor(audio, sampling_rate=rate, return_tensors="pt").input_features
    assert tuple(features.shape) == (1, 80, 3000)  # 80 mel bins x 30 s, as whisper-tiny.en
    transcriber = pipeline("automatic-speech-recognition", model=HF_MODELS["speech_to_text"])
    result = transcriber({"raw": audio, "sampling_rate": rate}, chunk_length_s=30)
    assert isinstance(result["text"], str)


def test_text_to_speech_pipeline_returns_16khz_audio():
    from transformers import pipeline

    speaker = pipeline("text-to-speech", model=HF_MODELS["text_to_speech"])
    speech = speaker("Hi to an artificial intelligence engineer.")
    assert speech["sampling_rate"] == 16000
    audio = np.asarray(speech["audio"]).squeeze()
    assert audio.ndim == 1 and audio.size > 1000 and audio.dtype.kind == "f"


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
