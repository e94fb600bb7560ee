"""The DPO job request: hyperparameters, per-provider checks, and the exact body that will be sent.

The wizard shows :func:`job_request_body` on its review page; :meth:`FineTuningProvider.create_dpo_job` sends
the same thing, so what the user reviewed is what the service receives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from dpo_studio.core.errors import UserError
from dpo_studio.services.providers.traits import ProviderTraits, TrainingType

Auto = Literal["auto"]
AUTO: Auto = "auto"

#: Seeds the API accepts.
SEED_MAX = 2_147_483_647
METADATA_MAX_PAIRS = 16


@dataclass
class DpoHyperparameters:
    """DPO settings; ``"auto"`` lets the service choose. ``l2_multiplier`` is Azure/Foundry only."""

    beta: float | Auto = AUTO
    batch_size: int | Auto = AUTO
    learning_rate_multiplier: float | Auto = AUTO
    n_epochs: int | Auto = AUTO
    l2_multiplier: float | None = None

    def problems(self, traits: ProviderTraits) -> list[str]:
        """Plain-language reasons the values would be refused (OpenAPI ranges; Azure extras)."""
        found: list[str] = []
        if self.beta != AUTO and not (isinstance(self.beta, (int, float)) and 0 < self.beta <= 2):
            found.append("beta must be 'auto' or a number above 0 and at most 2.")
        if self.batch_size != AUTO and not (isinstance(self.batch_size, int) and 1 <= self.batch_size <= 256):
            found.append("batch size must be 'auto' or a whole number from 1 to 256.")
        lr = self.learning_rate_multiplier
        if lr != AUTO and not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
            found.append("learning-rate multiplier must be 'auto' or a number above 0.")
        if self.n_epochs != AUTO and not (isinstance(self.n_epochs, int) and 1 <= self.n_epochs <= 50):
            found.append("epochs must be 'auto' or a whole number from 1 to 50.")
        if self.l2_multiplier is not None:
            if not traits.supports_l2_multiplier:
                found.append(
                    f"l2_multiplier is only accepted by Azure OpenAI and Foundry, not {traits.kind.label}."
                )
            elif not (self.l2_multiplier >= 0 and math.isfinite(self.l2_multiplier)):
                found.append("l2_multiplier must be a number of 0 or more.")
        return found

    def as_body(self) -> dict[str, Any]:
        """The ``hyperparameters`` object (l2_multiplier only when set)."""
        body: dict[str, Any] = {
            "beta": self.beta,
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
            "n_epochs": self.n_epochs,
        }
        if self.l2_multiplier is not None:
            body["l2_multiplier"] = self.l2_multiplier
        return body


@dataclass
class DpoJobRequest:
    """Everything needed to start a DPO job."""

    model: str
    training_file: str
    validation_file: str | None = None
    hyperparameters: DpoHyperparameters = field(default_factory=DpoHyperparameters)
    suffix: str = ""
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    training_type: TrainingType | None = None  # Azure/Foundry tier


def request_problems(request: DpoJobRequest, traits: ProviderTraits) -> list[str]:
    """Every reason ``request`` would be refused by this provider, in plain words."""
    found: list[str] = []
    if not request.model.strip():
        found.append("Choose a base model.")
    if not request.training_file.strip():
        found.append("A training file is required.")
    if request.validation_file and request.validation_file == request.training_file:
        found.append("The validation file must differ from the training file.")
    suffix = traits.suffix_problem(request.suffix)
    if suffix:
        found.append(suffix)
    if request.seed is not None and not (0 <= request.seed <= SEED_MAX):
        found.append(f"The seed must be a whole number from 0 to {SEED_MAX}.")
    if len(request.metadata) > METADATA_MAX_PAIRS:
        found.append(f"At most {METADATA_MAX_PAIRS} metadata entries are allowed.")
    for key, value in request.metadata.items():
        if len(key) > 64 or len(str(value)) > 512:
            found.append(f"Metadata '{key[:20]}': keys may have 64 characters and values 512.")
    if request.training_type is not None and not traits.supports_training_type:
        found.append(f"Training tiers are an Azure setting; {traits.kind.label} does not take one.")
    if traits.requires_training_type and request.training_type is None:
        found.append(
            "Choose a training tier (Standard, Global Standard or Developer); without it Azure may answer "
            "with a misleading 'model does not support fine-tuning'."
        )
    found.extend(request.hyperparameters.problems(traits))
    return found


def check_request(request: DpoJobRequest, traits: ProviderTraits) -> None:
    """Raise a :class:`UserError` listing every problem, before anything is sent."""
    found = request_problems(request, traits)
    if found:
        raise UserError(
            "The job cannot be created: " + " ".join(found), "Correct the settings and try again."
        )


def job_request_body(request: DpoJobRequest, traits: ProviderTraits) -> dict[str, Any]:
    """The exact JSON body of ``POST /fine_tuning/jobs`` for this provider."""
    body: dict[str, Any] = {
        "model": request.model,
        "training_file": request.training_file,
        "method": {"type": "dpo", "dpo": {"hyperparameters": request.hyperparameters.as_body()}},
    }
    if request.validation_file:
        body["validation_file"] = request.validation_file
    if request.suffix:
        body["suffix"] = request.suffix
    if request.seed is not None:
        body["seed"] = request.seed
    if request.metadata:
        body["metadata"] = dict(request.metadata)
    if request.training_type is not None and traits.supports_training_type:
        body["trainingType"] = request.training_type.value
    return body
