"""What the wizard's pages share: the choices made so far, the data they loaded, and the open provider.

Pages write their fields here and read what earlier pages decided. Slow work (opening the provider, which
may read the keyring; validating a file; counting tokens) runs through the one task runner; the provider
of a connection is opened once and reused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.quality import LengthBias
from dpo_studio.core.tokens import FileTokens
from dpo_studio.core.training_data import (
    UploadFile,
    content_sha256,
    dpo_upload,
    grouped_split,
    sft_upload,
    upload_name,
)
from dpo_studio.core.validation import Profile, ValidationReport
from dpo_studio.services.connections import ConnectionProfile, ProviderKind
from dpo_studio.services.jobplan import (
    TRAINING_FILE,
    TRAINING_OPEN,
    TRAINING_REMOTE,
    VALIDATION_FILE,
    VALIDATION_NONE,
    VALIDATION_REMOTE,
    VALIDATION_SPLIT,
    PendingUpload,
    WizardDefaults,
    parse_seed,
    parse_settings,
    placeholder_for,
    validation_profile,
)
from dpo_studio.services.providers import (
    DpoJobRequest,
    FineTuningProvider,
    ModelInfo,
    ProviderOptions,
    ProviderTraits,
    RemoteFile,
    TrainingType,
    open_provider,
    traits_for,
)
from dpo_studio.services.submission import FileSlot, SubmissionPlan

ProviderFactory = Callable[[ConnectionProfile], FineTuningProvider]


@dataclass
class LoadedData:
    """A local dataset the wizard read and checked."""

    dataset: Dataset
    path: Path | None
    report: ValidationReport
    tokens: FileTokens | None = None
    length: LengthBias | None = None
    sha256: str = ""
    #: The open dataset had edits not saved to ``path`` (its hash is of the content as it was sent).
    unsaved: bool = False


@dataclass
class WizardState:
    """The wizard's choices and loaded data."""

    defaults: WizardDefaults = field(default_factory=WizardDefaults)
    profile: ConnectionProfile | None = None
    model: str = ""
    models: list[ModelInfo] = field(default_factory=list)
    sft_first: bool = False
    training_type: TrainingType | None = TrainingType.GLOBAL_STANDARD
    training_source: str = TRAINING_OPEN
    training: LoadedData | None = None
    training_remote: RemoteFile | None = None
    remote_files: list[RemoteFile] = field(default_factory=list)
    validation_mode: str = VALIDATION_NONE
    split_ratio: float = 0.1
    split_seed: int = 42
    validation: LoadedData | None = None
    validation_remote: RemoteFile | None = None
    train_indices: list[int] | None = None  # None: every record of the training data
    validation_indices: list[int] | None = None
    suffix: str = ""
    seed_text: str = ""
    setting_texts: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> ProviderKind:
        """The chosen connection's provider kind (custom when none is chosen yet)."""
        return self.profile.provider_kind if self.profile is not None else ProviderKind.CUSTOM

    @property
    def traits(self) -> ProviderTraits:
        """The chosen provider's rules."""
        return traits_for(self.kind)

    @property
    def validation_rules(self) -> Profile:
        """The validator profile for the chosen provider and model."""
        return validation_profile(self.kind, self.model or "gpt-4.1-mini-2025-04-14")

    @property
    def uses_tier(self) -> bool:
        """Whether the provider takes a training tier (Azure OpenAI, Foundry)."""
        return self.traits.supports_training_type

    def training_count(self) -> int | None:
        """Training examples after the split (None for a file on the server)."""
        if self.training is None:
            return None
        if self.train_indices is not None:
            return len(self.train_indices)
        return self.training.report.example_count

    def validation_count(self) -> int | None:
        """Validation examples (None when there is no local validation data)."""
        if self.validation_mode == VALIDATION_SPLIT:
            return len(self.validation_indices or [])
        if self.validation_mode == VALIDATION_FILE and self.validation is not None:
            return self.validation.report.example_count
        return None

    def split_key(self) -> tuple[int, float, int] | None:
        """What the grouped split depends on (None when no split is wanted)."""
        if self.validation_mode != VALIDATION_SPLIT or self.training is None:
            return None
        return (id(self.training), self.split_ratio, self.split_seed)

    def compute_split(self) -> tuple[list[int], list[int]]:
        """The grouped split for the current choices (parses every record: run it in the background)."""
        assert self.training is not None
        return grouped_split(self.training.dataset, self.split_ratio, self.split_seed)

    def set_split(
        self, key: tuple[int, float, int] | None, result: tuple[list[int], list[int]] | None
    ) -> bool:
        """Take a split computed for ``key``; False (and nothing changes) when the choices moved on."""
        if key != self.split_key():
            return False
        self._split_for = key
        if result is None:
            self.train_indices = self.validation_indices = None
        else:
            self.train_indices, self.validation_indices = result
        return True

    @property
    def split_current(self) -> bool:
        """Whether the stored split matches the current choices."""
        key = self.split_key()
        return (key is None and self.train_indices is None) or key == getattr(self, "_split_for", None)

    def request(self) -> DpoJobRequest:
        """The DPO request as reviewed; files not uploaded yet hold placeholders."""
        params, _problems = parse_settings(self.setting_texts, self.traits)
        seed, _problem = parse_seed(self.seed_text)
        return DpoJobRequest(
            model=self.model,
            training_file=self._training_id(),
            validation_file=self._validation_id(),
            hyperparameters=params,
            suffix=self.suffix.strip(),
            seed=seed,
            training_type=self.training_type if self.uses_tier else None,
        )

    def stem(self) -> str:
        """The name the uploaded files are called after (the training file's, else "dataset")."""
        path = self.training.path if self.training is not None else None
        return path.stem if path is not None else "dataset"

    def _training_id(self) -> str:
        if self.training_source == TRAINING_REMOTE and self.training_remote is not None:
            return self.training_remote.id
        return placeholder_for(upload_name(self.stem(), "train"))

    def _validation_id(self) -> str | None:
        if self.validation_mode == VALIDATION_NONE:
            return None
        if self.validation_mode == VALIDATION_REMOTE and self.validation_remote is not None:
            return self.validation_remote.id
        return placeholder_for(upload_name(self.stem(), "validation"))

    def pending_uploads(self) -> list[PendingUpload]:
        """The files the request refers to that are uploaded on submit."""
        found = []
        if self.training_source != TRAINING_REMOTE:
            name = upload_name(self.stem(), "train")
            found.append(PendingUpload("training_file", name, placeholder_for(name)))
        if self.validation_mode in (VALIDATION_SPLIT, VALIDATION_FILE):
            name = upload_name(self.stem(), "validation")
            found.append(PendingUpload("validation_file", name, placeholder_for(name)))
        return found

    def build_plan(self) -> SubmissionPlan:
        """The submission: upload bytes made from the data (call off the GUI thread for big datasets)."""
        assert self.profile is not None
        stem = self.stem()
        training_slot: FileSlot
        sft_slot: FileSlot | None = None
        dataset_path = dataset_sha = ""
        if self.training_source == TRAINING_REMOTE:
            assert self.training_remote is not None
            training_slot = FileSlot(
                "training", None, self.training_remote.id, self.training_remote.filename, processed=False
            )
        else:
            assert self.training is not None
            data = self.training
            training_slot = FileSlot(
                "training", dpo_upload(data.dataset, self.train_indices, upload_name(stem, "train"))
            )
            if self.sft_first:
                sft_slot = FileSlot(
                    "sft", sft_upload(data.dataset, self.train_indices, upload_name(stem, "sft"))
                )
            dataset_path = str(data.path) if data.path is not None else ""
            dataset_sha = data.sha256 or content_sha256(data.dataset)
        validation_slot: FileSlot | None = None
        validation_path = validation_sha = ""
        if self.validation_mode == VALIDATION_SPLIT and self.training is not None:
            upload = dpo_upload(
                self.training.dataset, self.validation_indices or [], upload_name(stem, "validation")
            )
            validation_slot = FileSlot("validation", upload)
        elif self.validation_mode == VALIDATION_FILE and self.validation is not None:
            upload = dpo_upload(self.validation.dataset, None, upload_name(stem, "validation"))
            validation_slot = FileSlot("validation", upload)
            validation_path = str(self.validation.path or "")
            validation_sha = self.validation.sha256 or content_sha256(self.validation.dataset)
        elif self.validation_mode == VALIDATION_REMOTE and self.validation_remote is not None:
            validation_slot = FileSlot(
                "validation", None, self.validation_remote.id, self.validation_remote.filename
            )
        extra: dict[str, object] = {
            "training_source": self.training_source,
            "validation_mode": self.validation_mode,
            "dataset_unsaved_edits": bool(self.training is not None and self.training.unsaved),
        }
        if self.validation_mode == VALIDATION_SPLIT:
            extra["split"] = {"ratio": self.split_ratio, "seed": self.split_seed, "grouped_by": "prompt"}
        if self.sft_first:
            extra["pipeline"] = "sft-then-dpo"
        return SubmissionPlan(
            profile=self.profile,
            request=self.request(),
            training=training_slot,
            validation=validation_slot,
            sft=sft_slot,
            dataset_path=dataset_path,
            dataset_sha256=dataset_sha,
            validation_path=validation_path,
            validation_sha256=validation_sha,
            extra=dict(extra),
        )

    def upload_fingerprint(self) -> tuple[object, ...]:
        """What decides the uploaded bytes: a submission can be reused while this stays the same."""
        return (
            self.profile.id if self.profile else "",
            self.training_source,
            id(self.training),
            self.training_remote.id if self.training_remote else "",
            self.validation_mode,
            self.split_ratio,
            self.split_seed,
            id(self.validation),
            self.validation_remote.id if self.validation_remote else "",
            self.sft_first,
        )

    def to_defaults(self) -> WizardDefaults:
        """The choices to remember as the next run's defaults."""
        texts = self.setting_texts
        return WizardDefaults(
            connection_id=self.profile.id if self.profile else "",
            model=self.model,
            sft_first=self.sft_first,
            training_type=(self.training_type or TrainingType.GLOBAL_STANDARD).value,
            training_source=self.training_source,
            training_path=str(self.training.path) if self.training and self.training.path else "",
            validation_mode=self.validation_mode,
            split_ratio=self.split_ratio,
            split_seed=self.split_seed,
            validation_path=str(self.validation.path) if self.validation and self.validation.path else "",
            suffix=self.suffix,
            seed=self.seed_text,
            beta=texts.get("beta", "auto"),
            l2_multiplier=texts.get("l2_multiplier", "auto"),
            n_epochs=texts.get("n_epochs", "auto"),
            batch_size=texts.get("batch_size", "auto"),
            learning_rate_multiplier=texts.get("learning_rate_multiplier", "auto"),
        )


class ProviderCache:
    """Opens each connection's provider once (off the GUI thread) and hands it out again."""

    def __init__(
        self, factory: ProviderFactory | None = None, options: ProviderOptions | None = None
    ) -> None:
        self._factory = factory or (lambda profile: open_provider(profile, options=options))
        self._providers: dict[str, FineTuningProvider] = {}
        self._lock = threading.Lock()

    def get(self, profile: ConnectionProfile) -> FineTuningProvider:
        """The provider of ``profile`` (may read the keyring: call it in a background task)."""
        with self._lock:
            cached = self._providers.get(profile.id)
            if cached is not None and cached.profile == profile:
                return cached
        provider = self._factory(profile)
        with self._lock:
            self._providers[profile.id] = provider
        return provider


__all__ = [
    "TRAINING_FILE",
    "TRAINING_OPEN",
    "TRAINING_REMOTE",
    "VALIDATION_FILE",
    "VALIDATION_NONE",
    "VALIDATION_REMOTE",
    "VALIDATION_SPLIT",
    "LoadedData",
    "ProviderCache",
    "ProviderFactory",
    "UploadFile",
    "WizardState",
]
