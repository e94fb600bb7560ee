"""Turn judgments about generated answers into preference pairs (OpenPipe's sources of preference data).

Each function takes the prompt (the context messages of a pair) and generated candidates and returns a
:class:`~dpo_studio.core.records.PreferenceRecord` whose ``metadata`` says where the pair came from, so a
reviewer (and later analysis) can tell a user's pick from a judge's score:

======================  ===================================================================================
``metadata["source"]``  meaning
======================  ===================================================================================
``user choice``         the user picked the best and the worst of several answers (or the better of two)
``regeneration``        the user regenerated until satisfied; the accepted answer is preferred and the
                        *first* answer they rejected is the rejected side
``user edit``           the user edited a draft; the edit is preferred, the original draft rejected
``criteria judge``      a judge scored the answers against a written criterion; best and worst form the pair
======================  ===================================================================================

Metadata values are flat strings (OpenPipe's ``metadata`` holds strings), so they survive every writable
dialect that keeps metadata. Pure Python, no Qt, no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dpo_studio.core.errors import UserError
from dpo_studio.core.records import Message, PreferenceRecord

SOURCE_USER_CHOICE = "user choice"
SOURCE_REGENERATION = "regeneration"
SOURCE_USER_EDIT = "user edit"
SOURCE_CRITERIA_JUDGE = "criteria judge"
SOURCES: tuple[str, ...] = (SOURCE_USER_CHOICE, SOURCE_REGENERATION, SOURCE_USER_EDIT, SOURCE_CRITERIA_JUDGE)

#: The tag every generated pair gets, so the Datasets tab can filter them for review.
REVIEW_TAG = "generated"


@dataclass(frozen=True)
class Candidate:
    """One generated answer and the model that wrote it."""

    text: str
    model: str = ""
    finish_reason: str = "stop"

    @property
    def truncated(self) -> bool:
        """True when generation stopped at the token limit (the answer is cut off)."""
        return self.finish_reason == "length"


def _answer(text: str) -> list[Message]:
    return [{"role": "assistant", "content": text}]


def _prompt(context: Sequence[Message]) -> list[Message]:
    """The context as a pair's input: a copy, ending in a user (or tool) turn."""
    messages = [dict(message) for message in context]
    if not messages:
        raise UserError("This prompt has no messages.", "Choose an example with a user message.")
    if messages[-1].get("role") == "assistant":
        raise UserError(
            "The prompt ends with an assistant answer, so there is nothing for the model to answer.",
            "Use a prompt whose last message is from the user.",
        )
    return messages


def make_pair(
    context: Sequence[Message],
    preferred: Candidate,
    rejected: Candidate,
    *,
    source: str,
    details: Mapping[str, str] | None = None,
    template: PreferenceRecord | None = None,
) -> PreferenceRecord:
    """A pair from two answers with its source recorded; ``template`` lends tools and tool settings.

    The split is left unset: where the pair goes (training or validation) is the reviewer's decision.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown preference source {source!r}")
    if preferred.text.strip() == rejected.text.strip():
        raise UserError(
            "Both answers are the same, so the pair teaches the model nothing.",
            "Pick two different answers, or generate another one.",
        )
    if not preferred.text.strip() or not rejected.text.strip():
        raise UserError("One of the answers is empty.", "Generate the answer again or write one.")
    metadata: dict[str, str] = {"source": source}
    if preferred.model:
        metadata["preferred_model"] = preferred.model
    if rejected.model:
        metadata["rejected_model"] = rejected.model
    for key, value in (details or {}).items():
        metadata[key] = str(value)
    return PreferenceRecord(
        context=_prompt(context),
        preferred=_answer(preferred.text),
        rejected=_answer(rejected.text),
        tools=[dict(tool) for tool in template.tools] if template and template.tools else None,
        parallel_tool_calls=template.parallel_tool_calls if template else None,
        metadata=metadata,
        tags=[REVIEW_TAG],
    )


def pair_from_choice(
    context: Sequence[Message],
    candidates: Sequence[Candidate],
    best: int,
    worst: int,
    *,
    details: Mapping[str, str] | None = None,
    template: PreferenceRecord | None = None,
) -> PreferenceRecord:
    """User choice: the answer the user picked as best is preferred, the one picked as worst rejected."""
    if best == worst:
        raise UserError("The best and the worst answer are the same one.", "Pick two different answers.")
    _check_index(candidates, best)
    _check_index(candidates, worst)
    return make_pair(
        context,
        candidates[best],
        candidates[worst],
        source=SOURCE_USER_CHOICE,
        details={"candidates": str(len(candidates)), **(details or {})},
        template=template,
    )


def pair_from_regenerations(
    context: Sequence[Message],
    attempts: Sequence[Candidate],
    accepted: int,
    *,
    details: Mapping[str, str] | None = None,
    template: PreferenceRecord | None = None,
) -> PreferenceRecord:
    """Regeneration: the accepted answer is preferred; the *first* answer the user rejected is rejected.

    ``attempts`` are in the order they were generated; every attempt before ``accepted`` was rejected.
    """
    _check_index(attempts, accepted)
    if accepted == 0:
        raise UserError(
            "The first answer was accepted, so no answer was rejected.",
            "Regenerate at least once before accepting, or use 'best and worst' instead.",
        )
    return make_pair(
        context,
        attempts[accepted],
        attempts[0],
        source=SOURCE_REGENERATION,
        details={"regenerations": str(accepted), **(details or {})},
        template=template,
    )


def pair_from_edit(
    context: Sequence[Message],
    draft: Candidate,
    edited_text: str,
    *,
    details: Mapping[str, str] | None = None,
    template: PreferenceRecord | None = None,
) -> PreferenceRecord:
    """User edit: the edited text is preferred, the model's original draft rejected."""
    if edited_text.strip() == draft.text.strip():
        raise UserError("The draft was not changed.", "Edit the answer first, then make the pair.")
    return make_pair(
        context,
        Candidate(edited_text, "", "stop"),
        draft,
        source=SOURCE_USER_EDIT,
        details={"edited_from_model": draft.model, **(details or {})} if draft.model else details,
        template=template,
    )


def pair_from_scores(
    context: Sequence[Message],
    candidates: Sequence[Candidate],
    scores: Sequence[float],
    *,
    criterion: str,
    details: Mapping[str, str] | None = None,
    template: PreferenceRecord | None = None,
) -> PreferenceRecord:
    """Criteria judge: the highest-scoring answer is preferred and the lowest-scoring one rejected.

    Ties for best or worst go to the earliest candidate. All scores equal means the judge saw no
    difference, which makes no pair.
    """
    if len(scores) != len(candidates) or len(candidates) < 2:
        raise UserError("A judge needs a score for each of at least two answers.", "Generate more answers.")
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    worst = min(range(len(scores)), key=lambda i: (scores[i], i))
    if scores[best] == scores[worst]:
        raise UserError(
            "The judge gave every answer the same score, so there is no better and worse answer.",
            "Generate more varied answers (higher temperature) or sharpen the criterion.",
        )
    return make_pair(
        context,
        candidates[best],
        candidates[worst],
        source=SOURCE_CRITERIA_JUDGE,
        details={
            "criterion": criterion,
            "preferred_score": _score(scores[best]),
            "rejected_score": _score(scores[worst]),
            "candidates": str(len(candidates)),
            **(details or {}),
        },
        template=template,
    )


def _score(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _check_index(items: Sequence[object], index: int) -> None:
    if not 0 <= index < len(items):
        raise UserError(f"There is no answer number {index + 1}.", "Pick one of the answers shown.")
