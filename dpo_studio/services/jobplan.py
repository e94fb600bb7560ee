"""What the job wizard decides, without widgets: settings and ranges, the request, warnings, cost, snippets.

The wizard's pages fill a :class:`WizardDefaults` (also the settings section that remembers the last choices),
:func:`parse_settings` turns the typed fields into a :class:`DpoHyperparameters` plus per-field problems,
:func:`review_warnings` and :func:`plan_cost_from_totals` feed the review page, and :func:`python_snippet` /
:func:`curl_snippet` give the reviewed request as code that reads the key from an environment variable.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dpo_studio.core.pricing import CostEstimate, PriceTable, estimate_cost
from dpo_studio.core.quality import LengthBias
from dpo_studio.core.tokens import FileTokens
from dpo_studio.core.validation import Profile, profile_for
from dpo_studio.services.connections import AuthMethod, ConnectionProfile, ProviderKind
from dpo_studio.services.entra import SCOPE_FOUNDRY, SCOPE_RESOURCE
from dpo_studio.services.providers.requests import AUTO, SEED_MAX, DpoHyperparameters
from dpo_studio.services.providers.traits import ProviderTraits, TrainingType, foundry_base_url, supports_dpo
from dpo_studio.services.providers.types import ModelInfo

#: The settings section that remembers the wizard's last choices.
SECTION = "job_wizard"
#: Fewer examples than this get a "small dataset" warning (the platforms need 10; results need hundreds).
SMALL_DATASET = 100

#: One line per Azure training tier: residency, price and pre-emption (reference/azure-foundry §2.3, §11).
TIER_DESCRIPTIONS: dict[TrainingType, str] = {
    TrainingType.STANDARD: (
        "Trains in your resource's region: your data stays there (data residency). Regular price."
    ),
    TrainingType.GLOBAL_STANDARD: (
        "May train in any Azure region: cheaper and usually queued sooner, but data and weights may leave "
        "your region (no residency)."
    ),
    TrainingType.DEVELOPER: (
        "Runs on idle capacity at the lowest price: may be pre-empted and resumed, no SLA and no "
        "residency. Developer deployments are deleted after 24 hours."
    ),
}

#: Validation data choices.
VALIDATION_NONE = "none"
VALIDATION_SPLIT = "split"
VALIDATION_FILE = "file"
VALIDATION_REMOTE = "remote"

#: Training data choices.
TRAINING_OPEN = "open"
TRAINING_FILE = "file"
TRAINING_REMOTE = "remote"


@dataclass
class WizardDefaults:
    """The wizard's choices, remembered as the next run's defaults (settings section ``job_wizard``)."""

    connection_id: str = ""
    model: str = ""
    sft_first: bool = False
    training_type: str = TrainingType.GLOBAL_STANDARD.value
    training_source: str = TRAINING_OPEN
    training_path: str = ""
    validation_mode: str = VALIDATION_NONE
    split_ratio: float = 0.1
    split_seed: int = 42
    validation_path: str = ""
    suffix: str = ""
    seed: str = ""
    beta: str = AUTO
    l2_multiplier: str = AUTO
    n_epochs: str = AUTO
    batch_size: str = AUTO
    learning_rate_multiplier: str = AUTO


@dataclass(frozen=True)
class Setting:
    """One hyperparameter field: its name in the request, label, allowed values and what it does."""

    key: str
    label: str
    kind: type  # int or float
    minimum: float
    maximum: float | None
    exclusive_minimum: bool
    range_text: str
    help: str
    azure_only: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "beta",
        "Beta",
        float,
        0.0,
        2.0,
        True,
        "auto, or above 0 and at most 2",
        "How far the model may move from its starting behaviour. Higher is more conservative (keeps closer "
        "to the base model); lower follows your preferences more aggressively.",
    ),
    Setting(
        "l2_multiplier",
        "L2 multiplier",
        float,
        0.0,
        None,
        False,
        "auto (not sent), or 0 or more",
        "Azure only: L2 regularisation strength; higher keeps the weights closer to the starting model.",
        azure_only=True,
    ),
    Setting(
        "n_epochs",
        "Epochs",
        int,
        1,
        50,
        False,
        "auto, or a whole number from 1 to 50",
        "Passes over the training data. More epochs cost more and can overfit small datasets.",
    ),
    Setting(
        "batch_size",
        "Batch size",
        int,
        1,
        256,
        False,
        "auto, or a whole number from 1 to 256",
        "Examples per training step. Larger batches give steadier updates and fewer steps.",
    ),
    Setting(
        "learning_rate_multiplier",
        "Learning-rate multiplier",
        float,
        0.0,
        None,
        True,
        "auto, or above 0 (Azure suggests 0.02 to 0.2)",
        "Scales the base learning rate. Smaller values train more gently.",
    ),
)


def dpo_start_models(models: Iterable[ModelInfo]) -> list[ModelInfo]:
    """Models a DPO job can start from: DPO base snapshots, then the user's fine-tuned models of them.

    A fine-tuned model is offered whenever its base takes DPO (continuing from an SFT model), even where
    the service's model list does not mark the tuned model itself as fine-tunable.
    """
    chosen = [m for m in models if m.supports_dpo or (m.fine_tuned and supports_dpo(m.id))]
    return sorted(chosen, key=lambda m: (m.fine_tuned, m.id))


def validation_provider(kind: ProviderKind) -> str:
    """The validation/pricing profile of a provider kind (custom servers follow OpenAI's stricter rules)."""
    return {
        ProviderKind.AZURE_OPENAI: "azure",
        ProviderKind.FOUNDRY_PROJECT: "foundry",
        ProviderKind.OPENAI: "openai",
        ProviderKind.CUSTOM: "openai",
    }[kind]


def validation_profile(kind: ProviderKind, model: str) -> Profile:
    """The validation rules of ``kind`` with ``model``'s token limit."""
    return profile_for(validation_provider(kind), model)


def parse_value(setting: Setting, text: str) -> tuple[float | int | None, str]:
    """``(value, problem)``: ``None`` for auto; ``problem`` is "" when the text is acceptable."""
    cleaned = text.strip().lower()
    if cleaned in ("", AUTO):
        return None, ""
    try:
        number: float | int = int(cleaned) if setting.kind is int else float(cleaned)
    except ValueError:
        kind = "a whole number" if setting.kind is int else "a number"
        return None, f"{setting.label} must be 'auto' or {kind} ({setting.range_text})."
    if isinstance(number, float) and not math.isfinite(number):
        return None, f"{setting.label}: {setting.range_text}."
    low_ok = number > setting.minimum if setting.exclusive_minimum else number >= setting.minimum
    high_ok = setting.maximum is None or number <= setting.maximum
    if not (low_ok and high_ok):
        return None, f"{setting.label} {text.strip()} is out of range: {setting.range_text}."
    return number, ""


def parse_settings(
    fields: Mapping[str, str], traits: ProviderTraits
) -> tuple[DpoHyperparameters, dict[str, str]]:
    """The hyperparameters typed into ``fields`` (key -> text) and a problem per field that is wrong."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for setting in SETTINGS:
        if setting.azure_only and not traits.supports_l2_multiplier:
            continue
        value, problem = parse_value(setting, fields.get(setting.key, AUTO))
        if problem:
            problems[setting.key] = problem
        values[setting.key] = value
    params = DpoHyperparameters(
        beta=AUTO if values.get("beta") is None else float(values["beta"]),
        batch_size=AUTO if values.get("batch_size") is None else int(values["batch_size"]),
        learning_rate_multiplier=(
            AUTO
            if values.get("learning_rate_multiplier") is None
            else float(values["learning_rate_multiplier"])
        ),
        n_epochs=AUTO if values.get("n_epochs") is None else int(values["n_epochs"]),
        l2_multiplier=None if values.get("l2_multiplier") is None else float(values["l2_multiplier"]),
    )
    return params, problems


def parse_seed(text: str) -> tuple[int | None, str]:
    """``(seed, problem)``: ``None`` when empty (the service picks one)."""
    cleaned = text.strip()
    if not cleaned:
        return None, ""
    try:
        seed = int(cleaned)
    except ValueError:
        return None, f"The seed must be a whole number from 0 to {SEED_MAX}, or empty."
    if not 0 <= seed <= SEED_MAX:
        return None, f"The seed must be a whole number from 0 to {SEED_MAX}, or empty."
    return seed, ""


def suffix_rule_text(traits: ProviderTraits) -> str:
    """The suffix rule in words, for the field's hint."""
    return f"Optional; {traits.suffix_rule}. It becomes part of the model's name."


# ---- cost ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCost:
    """The cost estimate of a submission: the DPO stage, and the SFT stage when it runs first."""

    dpo: CostEstimate
    sft: CostEstimate | None = None

    @property
    def low(self) -> float | None:
        """Lower bound over both stages (None when a price is unknown)."""
        parts = [self.dpo.low] + ([self.sft.low] if self.sft else [])
        return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)

    @property
    def high(self) -> float | None:
        """Upper bound over both stages (None when a price is unknown)."""
        parts = [self.dpo.high] + ([self.sft.high] if self.sft else [])
        return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)

    def lines(self) -> list[str]:
        """Sentences for the review page."""
        out = [f"DPO: {self.dpo.describe()}"]
        if self.sft is not None:
            out.append(f"Supervised stage first: {self.sft.describe()}")
            if self.low is not None and self.high is not None:
                out.append(f"Both stages: ${self.low:,.2f}–${self.high:,.2f}")
        out.append(
            f"Billed tokens per epoch: {self.dpo.tokens_low:,}–{self.dpo.tokens_high:,} "
            "(the prompt counted once or once per answer)."
        )
        notes = list(dict.fromkeys(self.dpo.notes + (self.sft.notes if self.sft else ())))
        # The hosting fee is a warning of its own on the review page, not part of this estimate.
        out.extend(note for note in notes if "hosting fee" not in note)
        return out


def plan_cost_from_totals(
    totals: FileTokens,
    *,
    kind: ProviderKind,
    model: str,
    training_type: TrainingType | None,
    n_epochs: int | None,
    sft_first: bool,
    table: PriceTable | None = None,
) -> PlanCost:
    """Price the run from the training records' token totals (``core.tokens.count_dataset_tokens``)."""
    provider = validation_provider(kind)
    tier = training_type.value if training_type is not None else None
    dpo = estimate_cost(
        totals.billed_low,
        totals.billed_high,
        examples=totals.examples,
        provider=provider,
        model=model,
        tier=tier,
        epochs=n_epochs,
        table=table,
    )
    sft = None
    if sft_first:
        sft_tokens = totals.prompt + totals.preferred
        sft = estimate_cost(
            sft_tokens,
            sft_tokens,
            examples=totals.examples,
            provider=provider,
            model=model,
            tier=tier,
            epochs=None,
            table=table,
        )
    return PlanCost(dpo, sft)


# ---- warnings --------------------------------------------------------------------------------------------


def review_warnings(
    *,
    examples: int | None,
    length: LengthBias | None,
    kind: ProviderKind,
    training_type: TrainingType | None,
    sft_first: bool,
    validation_examples: int | None = None,
    legacy_notice: str = "",
) -> list[str]:
    """What the user should know before paying for the run."""
    found: list[str] = []
    if legacy_notice:
        found.append(legacy_notice)
    if examples is not None and examples < SMALL_DATASET:
        found.append(
            f"Small dataset: {examples} training example(s). The minimum is 10, but DPO usually needs "
            "hundreds of pairs to change a model's behaviour noticeably."
        )
    if length is not None and length.biased:
        found.append("Length bias: " + length.verdict())
    if validation_examples == 0:
        found.append("The validation split is empty; the job will report training loss only.")
    if training_type is TrainingType.DEVELOPER:
        found.append(
            "Developer tier: training may be pre-empted (no SLA), and a Developer-tier deployment of the "
            "resulting model is deleted automatically after 24 hours."
        )
    if kind in (ProviderKind.AZURE_OPENAI, ProviderKind.FOUNDRY_PROJECT) and training_type is not (
        TrainingType.DEVELOPER
    ):
        found.append(
            "Azure bills an hourly hosting fee for as long as a fine-tuned model is deployed (Standard and "
            "Global Standard deployments); it is not part of the training estimate. Delete deployments you "
            "no longer use."
        )
    if sft_first:
        found.append(
            "Two jobs will run: supervised fine-tuning on the preferred answers first, then DPO from the "
            "resulting model. The DPO job is created automatically when the first one succeeds (DPO Studio "
            "must be running, or it continues the next time it starts)."
        )
    return found


# ---- the request as code ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingUpload:
    """A file the request refers to that is uploaded on submit: the body holds ``placeholder`` for its id."""

    field: str  # training_file | validation_file
    filename: str
    placeholder: str


def placeholder_for(filename: str) -> str:
    """The text standing for the id of a file not uploaded yet."""
    return f"<id of {filename} after upload>"


@dataclass(frozen=True)
class Endpoint:
    """Where and how a snippet reaches the service (never the secret itself)."""

    kind: ProviderKind
    base: str  # OpenAI-style base URL, Azure resource endpoint, or Foundry project endpoint
    api_version: str
    auth: AuthMethod
    env_var: str
    extra_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, profile: ConnectionProfile) -> Endpoint:
        """The endpoint of a connection profile."""
        kind = profile.provider_kind
        env = {
            ProviderKind.AZURE_OPENAI: "AZURE_OPENAI_API_KEY",
            ProviderKind.FOUNDRY_PROJECT: "AZURE_AI_TOKEN",
            ProviderKind.OPENAI: "OPENAI_API_KEY",
            ProviderKind.CUSTOM: "OPENAI_API_KEY",
        }[kind]
        if profile.auth_method.is_entra:
            env = "AZURE_OPENAI_TOKEN" if kind is ProviderKind.AZURE_OPENAI else "AZURE_AI_TOKEN"
        return cls(kind, profile.effective_endpoint, profile.api_version, profile.auth_method, env)

    def jobs_url(self) -> str:
        """The create-job URL."""
        return self.url("fine_tuning/jobs")

    def url(self, path: str) -> str:
        """The full URL of an API path (``files``, ``fine_tuning/jobs``)."""
        if self.kind is ProviderKind.AZURE_OPENAI:
            return f"{self.base}/openai/{path}?api-version={self.api_version}"
        if self.kind is ProviderKind.FOUNDRY_PROJECT:
            return f"{foundry_base_url(self.base)}/{path}"
        return f"{self.base.rstrip('/')}/{path}"

    def auth_header(self) -> str:
        """The auth header with the environment variable in place of the secret."""
        if self.auth is AuthMethod.NONE:
            return ""
        if self.kind is ProviderKind.AZURE_OPENAI and self.auth is AuthMethod.API_KEY:
            return f"api-key: ${self.env_var}"
        return f"Authorization: Bearer ${self.env_var}"


def _python_literal(value: Any, indent: int) -> str:
    text = json.dumps(value, indent=4, ensure_ascii=False)
    text = text.replace(": true", ": True").replace(": false", ": False").replace(": null", ": None")
    pad = " " * indent
    return text.replace("\n", "\n" + pad)


def _python_client(endpoint: Endpoint) -> list[str]:
    """Lines that build the client; the key or token comes from an environment variable."""
    lines = ["import os", ""]
    kind = endpoint.kind
    secret = f'os.environ["{endpoint.env_var}"]'
    if kind is ProviderKind.AZURE_OPENAI:
        lines.append("from openai import AzureOpenAI")
        lines.append("")
        if endpoint.auth.is_entra:
            lines[0:0] = ["from azure.identity import DefaultAzureCredential, get_bearer_token_provider"]
            lines += [
                "token_provider = get_bearer_token_provider(",
                f'    DefaultAzureCredential(), "{SCOPE_RESOURCE}"',
                ")",
                "client = AzureOpenAI(",
                f'    azure_endpoint="{endpoint.base}",',
                f'    api_version="{endpoint.api_version}",',
                "    azure_ad_token_provider=token_provider,",
                ")",
            ]
        else:
            lines += [
                "client = AzureOpenAI(",
                f'    azure_endpoint="{endpoint.base}",',
                f'    api_version="{endpoint.api_version}",',
                f"    api_key={secret},",
                ")",
            ]
    elif kind is ProviderKind.FOUNDRY_PROJECT:
        lines[0:0] = ["from azure.identity import DefaultAzureCredential, get_bearer_token_provider"]
        lines += [
            "from openai import OpenAI",
            "",
            f'token_provider = get_bearer_token_provider(DefaultAzureCredential(), "{SCOPE_FOUNDRY}")',
            f'client = OpenAI(base_url="{foundry_base_url(endpoint.base)}", api_key=token_provider)',
        ]
    else:
        lines += ["from openai import OpenAI", ""]
        key = secret if endpoint.auth is not AuthMethod.NONE else '"none"'
        lines.append(f'client = OpenAI(base_url="{endpoint.base}", api_key={key})')
    return lines


def _python_create(
    body: Mapping[str, Any],
    uploads: Iterable[PendingUpload],
    *,
    variable: str = "job",
    expressions: Mapping[str, str] | None = None,
) -> list[str]:
    """Lines that upload the pending files and create the job (``expressions`` replace field values)."""
    lines: list[str] = []
    values = dict(body)
    names: dict[str, str] = dict(expressions or {})
    for upload in uploads:
        var = upload.field.replace("_file", "") + "_upload"
        lines.append(
            f'{var} = client.files.create(file=open("{upload.filename}", "rb"), purpose="fine-tune")'
        )
        lines.append(f"client.files.wait_for_processing({var}.id)")
        names[upload.field] = f"{var}.id"
    if lines:
        lines.append("")
    extra = {"trainingType": values.pop("trainingType")} if "trainingType" in values else None
    lines.append(f"{variable} = client.fine_tuning.jobs.create(")
    for key, value in values.items():
        rendered = names.get(key) or _python_literal(value, 4)
        lines.append(f"    {key}={rendered},")
    if extra:
        lines.append(f"    extra_body={_python_literal(extra, 4)},")
    lines += [")", f"print({variable}.id, {variable}.status)"]
    return lines


def python_snippet(body: Mapping[str, Any], endpoint: Endpoint, uploads: Iterable[PendingUpload] = ()) -> str:
    """The request as openai-python code; the key or token comes from an environment variable."""
    lines = [*_python_client(endpoint), "", *_python_create(body, uploads)]
    return "\n".join(lines) + "\n"


def python_pipeline_snippet(
    sft_body: Mapping[str, Any],
    dpo_body: Mapping[str, Any],
    endpoint: Endpoint,
    sft_upload: PendingUpload,
    uploads: Iterable[PendingUpload] = (),
) -> str:
    """Supervised job on the preferred answers, then DPO from its model once it succeeded, as Python."""
    lines = [*_python_client(endpoint), "import time", ""]
    lines += _python_create(sft_body, [sft_upload], variable="sft_job")
    lines += [
        "",
        "# DPO starts from the supervised model once that job has succeeded.",
        "while True:",
        "    sft_job = client.fine_tuning.jobs.retrieve(sft_job.id)",
        '    if sft_job.status in ("succeeded", "failed", "cancelled"):',
        "        break",
        "    time.sleep(60)",
        'assert sft_job.status == "succeeded", sft_job.error',
        "",
    ]
    lines += _python_create(dpo_body, uploads, expressions={"model": "sft_job.fine_tuned_model"})
    return "\n".join(lines) + "\n"


def _shell_quote_json(value: Any) -> str:
    return shlex.quote(json.dumps(value, indent=2, ensure_ascii=False))


def curl_snippet(body: Mapping[str, Any], endpoint: Endpoint, uploads: Iterable[PendingUpload] = ()) -> str:
    """The request as curl commands; the key or token comes from an environment variable."""
    header = endpoint.auth_header()
    auth = f' \\\n  -H "{header}"' if header else ""
    parts: list[str] = []
    listed = list(uploads)
    for upload in listed:
        parts.append(
            f'curl -sS -X POST "{endpoint.url("files")}"{auth} \\\n'
            f"  -F purpose=fine-tune -F file=@{shlex.quote(upload.filename)}"
        )
    if listed:
        parts.append("# Put the returned file id(s) into the body below, then:")
    parts.append(
        f'curl -sS -X POST "{endpoint.jobs_url()}"{auth} \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d {_shell_quote_json(dict(body))}"
    )
    return "\n\n".join(parts) + "\n"
