"""Everything that differs between OpenAI, Azure OpenAI, Foundry projects and custom servers — in one place.

Client construction (auth style, base URL, api-version), suffix rules, which extra body fields a provider
takes (Azure's ``l2_multiplier`` and ``trainingType``), which models can be trained with DPO. The rest of the
provider layer is the same for every kind.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx2
import openai

from dpo_studio.services.connections import ConnectionProfile, ProviderKind


class TrainingType(enum.StrEnum):
    """Azure training tiers (values as the Azure SDK samples send them)."""

    STANDARD = "Standard"
    GLOBAL_STANDARD = "GlobalStandard"
    DEVELOPER = "developerTier"

    @property
    def label(self) -> str:
        """The name shown to people."""
        return {"Standard": "Standard", "GlobalStandard": "Global Standard", "developerTier": "Developer"}[
            self.value
        ]


#: Base snapshots that accept DPO (OpenAI guide + Azure docs + Azure SDK samples). Fine-tuned models of
#: these snapshots accept DPO too (SFT first, then DPO).
DPO_BASE_MODELS: tuple[str, ...] = (
    "gpt-4o-2024-08-06",
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1-2025-04-14",
    "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano-2025-04-14",
)

_FINE_TUNED = re.compile(r"^ft:|\.ft-|:ckpt-step-")


@dataclass(frozen=True)
class ProviderTraits:
    """The facts about one provider kind the rest of the layer consults."""

    kind: ProviderKind
    suffix_max: int
    suffix_pattern: re.Pattern[str]
    suffix_rule: str  # the rule in words, for messages
    supports_l2_multiplier: bool
    supports_training_type: bool
    requires_training_type: bool  # Azure: a missing tier surfaces as a misleading error
    legacy_notice: str = ""

    def suffix_problem(self, suffix: str) -> str:
        """Why ``suffix`` is not accepted here ("" when it is)."""
        if not suffix:
            return ""
        if len(suffix) > self.suffix_max or not self.suffix_pattern.fullmatch(suffix):
            return f"The suffix '{suffix}' is not allowed: {self.suffix_rule}."
        return ""


_SHORT_SUFFIX = ProviderTraits(
    kind=ProviderKind.AZURE_OPENAI,
    suffix_max=18,
    suffix_pattern=re.compile(r"[A-Za-z0-9_-]{1,18}"),
    suffix_rule="up to 18 characters, letters, digits, '-' and '_' only",
    supports_l2_multiplier=True,
    supports_training_type=True,
    requires_training_type=True,
)
_LONG_SUFFIX = ProviderTraits(
    kind=ProviderKind.CUSTOM,
    suffix_max=64,
    suffix_pattern=re.compile(r"[^\s]{1,64}"),
    suffix_rule="up to 64 characters without spaces",
    supports_l2_multiplier=False,
    supports_training_type=False,
    requires_training_type=False,
)

# Azure OpenAI and Foundry projects share Azure's rules; OpenAI and custom servers share OpenAI's.
TRAITS: dict[ProviderKind, ProviderTraits] = {
    ProviderKind.AZURE_OPENAI: _SHORT_SUFFIX,
    ProviderKind.FOUNDRY_PROJECT: replace(_SHORT_SUFFIX, kind=ProviderKind.FOUNDRY_PROJECT),
    ProviderKind.OPENAI: replace(
        _LONG_SUFFIX,
        kind=ProviderKind.OPENAI,
        legacy_notice=(
            "OpenAI is winding down self-serve fine-tuning: it is closed to new users and new jobs are "
            "reported to end on 2027-01-06. Existing fine-tuned models keep working."
        ),
    ),
    ProviderKind.CUSTOM: _LONG_SUFFIX,
}


def traits_for(kind: ProviderKind) -> ProviderTraits:
    """The traits of a provider kind."""
    return TRAITS[kind]


def supports_dpo(model_id: str) -> bool:
    """True for a DPO-capable base snapshot or a model fine-tuned from one."""
    return any(base in model_id for base in DPO_BASE_MODELS)


def is_fine_tuned(model_id: str) -> bool:
    """True for fine-tuned models and checkpoints (``ft:...``, ``<base>.ft-<id>``)."""
    return bool(_FINE_TUNED.search(model_id))


def foundry_base_url(endpoint: str) -> str:
    """The OpenAI-compatible base URL of a Foundry project endpoint."""
    return endpoint.rstrip("/") + "/openai/v1"


def build_client(
    profile: ConnectionProfile,
    *,
    api_key: str | None = None,
    token_provider: Callable[[], str] | None = None,
    max_retries: int = 2,
    timeout: httpx2.Timeout | float = 60.0,
) -> openai.OpenAI:
    """The real openai client for a profile: AzureOpenAI for resources, OpenAI for everything else.

    ``api_key`` is the stored secret for key-based profiles; ``token_provider`` the Entra ID bearer-token
    callable for the others. Exactly one is used.
    """
    kind = profile.provider_kind
    endpoint = profile.effective_endpoint
    if kind is ProviderKind.AZURE_OPENAI:
        if token_provider is not None and api_key is None:
            return openai.AzureOpenAI(
                azure_endpoint=endpoint,
                api_version=profile.api_version,
                azure_ad_token_provider=token_provider,
                max_retries=max_retries,
                timeout=timeout,
            )
        return openai.AzureOpenAI(
            azure_endpoint=endpoint,
            api_version=profile.api_version,
            api_key=api_key or "",
            max_retries=max_retries,
            timeout=timeout,
        )
    if kind is ProviderKind.FOUNDRY_PROJECT:
        return openai.OpenAI(
            base_url=foundry_base_url(endpoint),
            api_key=token_provider if token_provider is not None else (api_key or ""),
            max_retries=max_retries,
            timeout=timeout,
        )
    credential: str | Callable[[], str] = api_key or (
        token_provider if token_provider is not None else "none"
    )
    return openai.OpenAI(
        base_url=endpoint,
        api_key=credential,
        organization=profile.organization or None,
        project=profile.project or None,
        max_retries=max_retries,
        timeout=timeout,
    )
