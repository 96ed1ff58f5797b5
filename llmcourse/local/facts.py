"""Keep the local stand-in from inventing figures after a tool result: facts come from the tools.

A 135M model given "No price for Atlantis: FlightAI does not fly there." still answered "A ticket
to Atlantis is $100" (measured). When the conversation holds tool results and the answer states a
number that neither a tool result nor the user wrote, the server answers with the tool results
themselves instead: plainer, and true. A real provider's model answers on its own.

Example:
    >>> invented_figures("A ticket to Atlantis is $100.", ["No price for Atlantis."])
    ['100']
    >>> invented_figures("A ticket to Paris costs $899.", ["A return ticket to Paris costs $899."])
    []
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["grounded_answer", "invented_figures", "tool_results"]

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _numbers(text: str) -> set[str]:
    return {match.replace(",", "") for match in _NUMBER.findall(text)}


def invented_figures(answer: str, sources: list[str]) -> list[str]:
    """The numbers in `answer` that appear in none of `sources` (thousands separators ignored).

    Example:
        >>> invented_figures("It costs $1,299.", ["$1299"])
        []
    """
    known = set().union(*(_numbers(source) for source in sources)) if sources else set()
    return sorted(number for number in _numbers(answer) if number not in known)


def tool_results(messages: list[dict[str, Any]]) -> list[str]:
    """The text of the tool results after the latest user turn (what the answer must rest on).

    Example:
        >>> tool_results([{"role": "user", "content": "Price?"}, {"role": "tool", "content": "$499"}])
        ['$499']
    """
    results: list[str] = []
    for message in messages:
        if message.get("role") == "user":
            results = []
        elif message.get("role") == "tool":
            results.append(str(message.get("content") or ""))
    return results


def grounded_answer(answer: str, messages: list[dict[str, Any]]) -> str:
    """`answer`, or the tool results themselves when the answer states a figure no tool or user gave.

    Example:
        >>> chat = [{"role": "user", "content": "How much to Atlantis?"},
        ...         {"role": "tool", "content": "No price for Atlantis: FlightAI does not fly there."}]
        >>> grounded_answer("A ticket to Atlantis is $100.", chat)
        'No price for Atlantis: FlightAI does not fly there.'
        >>> grounded_answer("Sorry, FlightAI does not fly to Atlantis.", chat)
        'Sorry, FlightAI does not fly to Atlantis.'
    """
    results = tool_results(messages)
    if not results:
        return answer
    users = [str(message.get("content") or "") for message in messages if message.get("role") == "user"]
    if invented_figures(answer, results + users):
        return " ".join(result.strip() for result in results if result.strip())
    return answer
