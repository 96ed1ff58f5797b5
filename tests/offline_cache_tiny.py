"""Tiny random-weight stand-ins for the task models no PyPI package ships (sentiment, NER, zero-shot, speech).

Each is the real architecture and the real processor class, at hidden size 32 with one or two
layers, with a tokenizer trained on a few sentences, saved under the real repo id. Pipelines load
and run them exactly as they would the originals; the labels, transcripts and sounds they produce
are random. Tests check types and shapes for these, never content.

Example:
    >>> from tests.offline_cache_tiny import save_sentiment                 # doctest: +SKIP
    >>> save_sentiment(Path("snapshot"), Path("work"))                      # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["CORPUS", "save_ner", "save_sentiment", "save_vits", "save_whisper", "save_zero_shot"]

# A few sentences in the notebooks' vocabulary: enough for a tokenizer of a few hundred pieces.
CORPUS: tuple[str, ...] = (
    "I'm super excited to be on the way to LLM mastery!",
    "Barack Obama was the 44th president of the United States.",
    "Hugging Face's Transformers library is amazing!",
    "The Data Scientists were truly amazed by the power and simplicity of the Hugging Face pipeline API.",
    "Meeting minutes: summary, attendees, location, date, discussion points, takeaways and action items with owners.",
    "The council discussed the budget for the new library in London, Paris, Berlin and Tokyo.",
    "Sentiment analysis, named entity recognition, zero-shot classification, speech recognition and text to speech.",
    "The quick brown fox jumps over the lazy dog. 0123456789 + - * / = ( ) [ ] { } < > @ # $ % & ' \" , ; : ? !",
    "Technology, sports, politics, business, science, health and entertainment.",
    "Tokenizers translate between text and tokens with encode and decode.",
)


def _bpe(extra_special: tuple[str, ...] = ()) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary and merges (GPT-2/RoBERTa/Whisper style) trained on CORPUS."""
    from tokenizers import ByteLevelBPETokenizer

    trainer = ByteLevelBPETokenizer()
    trainer.train_from_iterator(
        list(CORPUS) * 5, vocab_size=500, min_frequency=1, special_tokens=list(extra_special), show_progress=False
    )
    merges = json.loads(trainer._tokenizer.to_str())["model"]["merges"]
    return trainer.get_vocab(), [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in merges]


def _wordpiece(lowercase: bool) -> dict[str, int]:
    """A BERT WordPiece vocabulary trained on CORPUS."""
    from tokenizers import BertWordPieceTokenizer

    trainer = BertWordPieceTokenizer(lowercase=lowercase)
    trainer.train_from_iterator(
        list(CORPUS) * 5,
        vocab_size=500,
        min_frequency=1,
        show_progress=False,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    )
    return trainer.get_vocab()


def _seeded() -> None:
    import torch

    torch.manual_seed(0)


def save_sentiment(folder: Path, work: Path) -> None:
    """distilbert/distilbert-base-uncased-finetuned-sst-2-english: DistilBERT, labels NEGATIVE/POSITIVE.

    Example:
        >>> save_sentiment(Path("snapshot"), Path("work"))                  # doctest: +SKIP
    """
    from transformers import DistilBertConfig, DistilBertForSequenceClassification, DistilBertTokenizer

    tokenizer = DistilBertTokenizer(vocab=_wordpiece(lowercase=True), do_lower_case=True)
    config = DistilBertConfig(
        vocab_size=len(tokenizer),
        dim=32,
        hidden_dim=64,
        n_layers=1,
        n_heads=2,
        max_position_embeddings=512,
        id2label={0: "NEGATIVE", 1: "POSITIVE"},
        label2id={"NEGATIVE": 0, "POSITIVE": 1},
        pad_token_id=tokenizer.pad_token_id,
    )
    _seeded()
    DistilBertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


_CONLL_LABELS = ("O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")


def save_ner(folder: Path, work: Path) -> None:
    """dslim/bert-base-NER: cased BERT for token classification with the CoNLL-2003 labels.

    Example:
        >>> save_ner(Path("snapshot"), Path("work"))                        # doctest: +SKIP
    """
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    tokenizer = BertTokenizer(vocab=_wordpiece(lowercase=False), do_lower_case=False)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        max_position_embeddings=512,
        id2label=dict(enumerate(_CONLL_LABELS)),
        label2id={label: i for i, label in enumerate(_CONLL_LABELS)},
        pad_token_id=tokenizer.pad_token_id,
    )
    _seeded()
    BertForTokenClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def save_zero_shot(folder: Path, work: Path) -> None:
    """facebook/bart-large-mnli: BART sequence classification with the NLI labels zero-shot needs.

    Example:
        >>> save_zero_shot(Path("snapshot"), Path("work"))                  # doctest: +SKIP
    """
    from transformers import BartConfig, BartForSequenceClassification, BartTokenizer

    vocab, merges = _bpe(("<s>", "<pad>", "</s>", "<unk>", "<mask>"))
    tokenizer = BartTokenizer(vocab=vocab, merges=merges)
    labels = {0: "contradiction", 1: "neutral", 2: "entailment"}  # the pipeline looks for "entailment"
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=1024,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_bos_token_id=tokenizer.bos_token_id,
    )
    _seeded()
    BartForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


_WHISPER_SPECIALS = (
    "<|startoftranscript|>",
    "<|en|>",
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nocaptions|>",
    "<|notimestamps|>",
)


def save_whisper(folder: Path, work: Path) -> None:
    """openai/whisper-tiny.en: an English-only Whisper with its feature extractor and tokenizer (WhisperProcessor).

    Example:
        >>> save_whisper(Path("snapshot"), Path("work"))                    # doctest: +SKIP
    """
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    vocab, merges = _bpe(("<|endoftext|>",))
    tokenizer = WhisperTokenizer(vocab=vocab, merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": list(_WHISPER_SPECIALS)})
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    start = tokenizer.convert_tokens_to_ids("<|startoftranscript|>")
    no_timestamps = tokenizer.convert_tokens_to_ids("<|notimestamps|>")
    # 80 mel bins, 30 s windows of 3000 frames -> 1500 encoder positions: the real model's audio shapes.
    config = WhisperConfig(
        vocab_size=len(tokenizer),
        num_mel_bins=80,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_source_positions=1500,
        max_target_positions=448,
        pad_token_id=end,
        bos_token_id=end,
        eos_token_id=end,
        decoder_start_token_id=start,
    )
    _seeded()
    model = WhisperForConditionalGeneration(config)
    # A random decoder never says "end": cap it far below the real 448 so a transcription stays quick.
    model.generation_config = GenerationConfig(
        decoder_start_token_id=start,
        bos_token_id=end,
        eos_token_id=end,
        pad_token_id=end,
        max_length=48,
        is_multilingual=False,
        no_timestamps_token_id=no_timestamps,
        suppress_tokens=[],
        begin_suppress_tokens=[end],
        max_initial_timestamp_index=50,
        return_timestamps=False,
    )
    model.save_pretrained(folder)
    WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=80), tokenizer=tokenizer).save_pretrained(
        folder
    )


def save_vits(folder: Path, work: Path) -> None:
    """facebook/mms-tts-eng: a VITS text-to-speech model with MMS's character tokenizer, 16 kHz output.

    Example:
        >>> save_vits(Path("snapshot"), Path("work"))                       # doctest: +SKIP
    """
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    # MMS-TTS English reads lower-case letters, space, apostrophe and hyphen; "_" is its padding/blank token.
    symbols = list("_ abcdefghijklmnopqrstuvwxyz'-") + ["<unk>"]
    vocab_path = work / "scratch" / "mms-tts-vocab.json"
    vocab_path.parent.mkdir(parents=True, exist_ok=True)
    vocab_path.write_text(json.dumps({symbol: i for i, symbol in enumerate(symbols)}))
    tokenizer = VitsTokenizer(
        str(vocab_path),
        pad_token="_",
        unk_token="<unk>",
        language="eng",
        add_blank=True,
        normalize=True,
        phonemize=False,
        is_uroman=False,
    )
    config = VitsConfig(
        vocab_size=len(symbols),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=64,
        flow_size=32,
        spectrogram_bins=65,
        upsample_initial_channel=32,
        upsample_rates=[8, 8, 4],
        upsample_kernel_sizes=[16, 16, 8],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1,
        duration_predictor_filter_channels=32,
        duration_predictor_num_flows=1,
        depth_separable_num_layers=1,
        sampling_rate=16000,
    )
    _seeded()
    VitsModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
