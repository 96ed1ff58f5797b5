"""The key variables the course knows: one `KeySpec` per variable, built from the provider table.

Example:
    >>> from llmcourse.keys.specs import KEY_SPECS, canonical_variable
    >>> KEY_SPECS["GOOGLE_API_KEY"].variables
    ('GOOGLE_API_KEY', 'GEMINI_API_KEY')
    >>> canonical_variable("GEMINI_API_KEY")
    'GOOGLE_API_KEY'
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from llmcourse.providers import PROVIDERS

__all__ = ["KEY_SPECS", "KeySpec", "canonical_variable", "key_variables", "where_to_get"]


@dataclass(frozen=True)
class KeySpec:
    """One key variable: which providers use it, its usual prefixes and where to get one.

    Built from `PROVIDERS` (one row per key variable) plus Hugging Face's `HF_TOKEN`.

    Example:
        >>> KEY_SPECS["ANTHROPIC_API_KEY"].providers
        ('anthropic', 'anthropic_openai')
    """

    variable: str
    aliases: tuple[str, ...]
    providers: tuple[str, ...]
    label: str
    prefixes: tuple[str, ...]
    keys_url: str
    endpoint: str
    check_path: str
    auth: str

    @property
    def variables(self) -> tuple[str, ...]:
        """The documented variable first, then the other names that are accepted."""
        return (self.variable, *self.aliases)


def _specs() -> dict[str, KeySpec]:
    specs: dict[str, KeySpec] = {}
    for provider in PROVIDERS.values():
        if not provider.key_vars:
            continue
        if provider.key_var in specs:  # e.g. anthropic_openai reuses ANTHROPIC_API_KEY
            old = specs[provider.key_var]
            specs[provider.key_var] = replace(old, providers=old.providers + (provider.name,))
            continue
        specs[provider.key_var] = KeySpec(
            provider.key_var,
            provider.key_vars[1:],
            (provider.name,),
            provider.label,
            provider.key_prefixes,
            provider.keys_url,
            provider.endpoint or "",
            provider.check_path,
            provider.auth,
        )
    # Hugging Face: not a chat provider here, but its token (downloads, gated models) is checked the same way.
    specs["HF_TOKEN"] = KeySpec(
        "HF_TOKEN",
        (),
        ("huggingface",),
        "Hugging Face",
        ("hf_",),
        "https://huggingface.co/settings/tokens",
        "https://huggingface.co",
        "api/whoami-v2",
        "bearer",
    )
    return specs


KEY_SPECS: dict[str, KeySpec] = _specs()


def canonical_variable(variable: str) -> str:
    """The documented name of a key variable (GEMINI_API_KEY -> GOOGLE_API_KEY); unknown names come back as given.

    Example:
        >>> canonical_variable("OPENAI_API_KEY")
        'OPENAI_API_KEY'
    """
    for spec in KEY_SPECS.values():
        if variable in spec.variables:
            return spec.variable
    return variable


def where_to_get(variable: str) -> str:
    """Where to get a key for `variable`, as the end of a sentence.

    Example:
        >>> where_to_get("OPENAI_API_KEY")
        'get one at https://platform.openai.com/api-keys'
    """
    spec = KEY_SPECS.get(canonical_variable(variable))
    return f"get one at {spec.keys_url}" if spec else "from the provider's console"


def key_variables() -> list[str]:
    """Every variable a key may be read from (documented names and accepted aliases).

    Example:
        >>> "GEMINI_API_KEY" in key_variables()
        True
    """
    return [variable for spec in KEY_SPECS.values() for variable in spec.variables]
