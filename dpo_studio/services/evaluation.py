"""Blind evaluation of two models on the same prompts, by the user and/or an LLM judge with a criterion.

1. :func:`select_prompts` picks the prompts (the validation split by default, one per distinct prompt).
2. :func:`generate_comparisons` asks model A and model B for an answer to each prompt and places A on the
   left or the right at random (seeded, so a saved evaluation can be replayed in the same order).
3. The user picks left / right / tie without seeing model names (:meth:`Comparison.pick`); optionally
   :func:`judge_evaluation` lets a judge model decide per written criterion, instead of or beside the user.
4. :meth:`Evaluation.results` gives A's win rate with a Wilson interval (see :mod:`dpo_studio.core.winrate`
   for how ties count), for the user and for each criterion; :meth:`Evaluation.candidate_pairs` turns every
   comparison the tuned model lost into a preference pair (winner preferred) for review.
5. :func:`save_evaluation` keeps it in the run history with its run, so models can be compared over time.

Model A is the one being evaluated ("tuned"), model B the reference (base model or another checkpoint).
Blocking calls: run them off the GUI thread. No Qt here.
"""

from __future__ import annotations

import enum
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from dpo_studio.core.errors import UserError
from dpo_studio.core.preference_sources import (
    SOURCE_CRITERIA_JUDGE,
    SOURCE_USER_CHOICE,
    Candidate,
    make_pair,
)
from dpo_studio.core.records import VALIDATION, Message, PreferenceRecord
from dpo_studio.core.winrate import TiePolicy, WinRate, win_rate
from dpo_studio.services.errors import Cancelled
from dpo_studio.services.generation import Answer, ChatGenerator, GenerationSettings
from dpo_studio.services.history import HistoryStore

#: The source name of the user's own picks in :meth:`Evaluation.results`.
USER = "user"
#: Default number of prompts in an evaluation (enough for a useful interval, few enough to judge by hand).
DEFAULT_PROMPT_COUNT = 30


class Verdict(enum.StrEnum):
    """Which model's answer was better: A, B, or neither."""

    A = "a"
    B = "b"
    TIE = "tie"


class Side(enum.StrEnum):
    """Where an answer is shown."""

    LEFT = "left"
    RIGHT = "right"
    TIE = "tie"


@dataclass(frozen=True)
class ModelSide:
    """One of the two models: what is sent as ``model`` and the name revealed at the end."""

    model: str  # model id (OpenAI) or deployment name (Azure / Foundry)
    label: str = ""
    connection_id: str = ""

    @property
    def name(self) -> str:
        """The name shown once the evaluation is revealed."""
        return self.label or self.model


@dataclass(frozen=True)
class EvalPrompt:
    """A prompt to evaluate on: the context messages and where they came from."""

    context: list[Message]
    entry: int | None = None  # the dataset entry it was taken from


@dataclass(frozen=True)
class PromptSelection:
    """The chosen prompts and a sentence saying where they came from."""

    prompts: list[EvalPrompt]
    note: str


def select_prompts(
    records: Iterable[tuple[int, PreferenceRecord]],
    *,
    split: str | None = VALIDATION,
    limit: int = DEFAULT_PROMPT_COUNT,
    seed: int = 0,
) -> PromptSelection:
    """One prompt per distinct context from the records in ``split`` (all records when none are in it).

    With more distinct prompts than ``limit``, a seeded random sample is taken, kept in dataset order.
    """
    pool = [(i, r) for i, r in records if r.context and r.context[-1].get("role") != "assistant"]
    chosen = [(i, r) for i, r in pool if split is None or r.split == split]
    if split is not None and not chosen:
        chosen = pool
        note = f"No example is in the {split} split, so prompts come from the whole dataset."
    elif split is None:
        note = "Prompts come from the whole dataset."
    else:
        note = f"Prompts come from the {split} split (prompts the tuned model did not train on)."
    seen: set[str] = set()
    distinct: list[EvalPrompt] = []
    for index, record in chosen:
        key = record.prompt_key()
        if key not in seen:
            seen.add(key)
            distinct.append(EvalPrompt([dict(m) for m in record.context], index))
    if len(distinct) > limit:
        keep = sorted(random.Random(seed).sample(range(len(distinct)), limit))
        distinct = [distinct[i] for i in keep]
        note += f" A random sample of {limit} is used."
    if not distinct:
        raise UserError(
            "There are no prompts to evaluate on.", "Open a dataset with examples that end in a user message."
        )
    return PromptSelection(distinct, note)


@dataclass
class Comparison:
    """Two answers to one prompt, in a fixed random left/right order, and the verdicts given."""

    prompt: list[Message]
    answer_a: str
    answer_b: str
    a_on_left: bool
    entry: int | None = None
    finish_a: str = "stop"
    finish_b: str = "stop"
    user: Verdict | None = None
    judge: dict[str, Verdict] = field(default_factory=dict)  # criterion -> verdict
    judge_notes: dict[str, str] = field(default_factory=dict)  # criterion -> the judge's reason

    @property
    def left(self) -> str:
        """The answer shown on the left."""
        return self.answer_a if self.a_on_left else self.answer_b

    @property
    def right(self) -> str:
        """The answer shown on the right."""
        return self.answer_b if self.a_on_left else self.answer_a

    @property
    def left_finish(self) -> str:
        """Why the left answer ended ("length": cut off at the token limit)."""
        return self.finish_a if self.a_on_left else self.finish_b

    @property
    def right_finish(self) -> str:
        """Why the right answer ended."""
        return self.finish_b if self.a_on_left else self.finish_a

    def verdict_for(self, side: Side | str) -> Verdict:
        """The verdict meant by picking ``side``."""
        side = Side(side)
        if side is Side.TIE:
            return Verdict.TIE
        return Verdict.A if (side is Side.LEFT) == self.a_on_left else Verdict.B

    def side_of(self, verdict: Verdict) -> Side:
        """Where the answer of ``verdict``'s model is shown."""
        if verdict is Verdict.TIE:
            return Side.TIE
        return Side.LEFT if (verdict is Verdict.A) == self.a_on_left else Side.RIGHT

    def pick(self, side: Side | str) -> Verdict:
        """Record the user's pick of ``side`` (left, right or tie); returns the verdict."""
        self.user = self.verdict_for(side)
        return self.user

    def deciding_verdict(self, criterion: str | None = None) -> tuple[Verdict | None, str]:
        """The verdict that decides this comparison and who gave it: the user's, else the judge's."""
        if criterion is None and self.user is not None:
            return self.user, USER
        criteria = [criterion] if criterion else list(self.judge)
        for name in criteria:
            if name in self.judge:
                return self.judge[name], name
        return None, ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = asdict(self)
        data["user"] = self.user.value if self.user else None
        data["judge"] = {k: v.value for k, v in self.judge.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        """Read :meth:`to_dict`'s output."""
        return cls(
            prompt=list(data.get("prompt") or []),
            answer_a=str(data.get("answer_a", "")),
            answer_b=str(data.get("answer_b", "")),
            a_on_left=bool(data.get("a_on_left", True)),
            entry=data.get("entry"),
            finish_a=str(data.get("finish_a", "stop")),
            finish_b=str(data.get("finish_b", "stop")),
            user=Verdict(data["user"]) if data.get("user") else None,
            judge={str(k): Verdict(v) for k, v in (data.get("judge") or {}).items()},
            judge_notes={str(k): str(v) for k, v in (data.get("judge_notes") or {}).items()},
        )


@dataclass(frozen=True)
class EvaluationResults:
    """Win rates of A over B: the user's and one per judge criterion."""

    by_source: dict[str, WinRate]
    policy: TiePolicy

    @property
    def user(self) -> WinRate | None:
        """The user's own verdicts (None when the user judged none)."""
        return self.by_source.get(USER)


@dataclass
class Evaluation:
    """A blind comparison of model A (evaluated) against model B (reference) on a set of prompts."""

    model_a: ModelSide
    model_b: ModelSide
    comparisons: list[Comparison]
    seed: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    criteria: list[str] = field(default_factory=list)
    connection_id: str = ""
    job_id: str = ""
    prompt_note: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: float = field(default_factory=time.time)

    # ---- progress --------------------------------------------------------------------------------------

    def next_unjudged(self, start: int = 0) -> int | None:
        """The first comparison from ``start`` (wrapping) the user has not judged, or None."""
        count = len(self.comparisons)
        for offset in range(count):
            index = (start + offset) % count
            if self.comparisons[index].user is None:
                return index
        return None

    @property
    def user_judged(self) -> int:
        """How many comparisons the user has judged."""
        return sum(1 for c in self.comparisons if c.user is not None)

    @property
    def complete(self) -> bool:
        """True when the user has judged every comparison."""
        return all(c.user is not None for c in self.comparisons)

    # ---- results -----------------------------------------------------------------------------------------

    def results(self, policy: TiePolicy = TiePolicy.HALF, confidence: float = 0.95) -> EvaluationResults:
        """A's win rate per source: ``"user"`` and each judge criterion that gave at least one verdict."""
        by_source: dict[str, WinRate] = {}
        if any(c.user is not None for c in self.comparisons):
            by_source[USER] = win_rate((c.user for c in self.comparisons), policy, confidence)
        for criterion in self.criteria:
            verdicts = [c.judge.get(criterion) for c in self.comparisons]
            if any(v is not None for v in verdicts):
                by_source[criterion] = win_rate(verdicts, policy, confidence)
        return EvaluationResults(by_source, policy)

    def losses(self) -> list[Comparison]:
        """Comparisons the evaluated model (A) lost: by the user's verdict, else the first judge's."""
        return [c for c in self.comparisons if c.deciding_verdict()[0] is Verdict.B]

    def candidate_pairs(self) -> list[PreferenceRecord]:
        """Every lost comparison as a pair: B's (winning) answer preferred, A's rejected; source recorded."""
        pairs = []
        for comparison in self.losses():
            _verdict, by = comparison.deciding_verdict()
            details = {"evaluation": self.id, "collected_in": "blind evaluation"}
            if by == USER:
                source = SOURCE_USER_CHOICE
            else:
                source = SOURCE_CRITERIA_JUDGE
                details["criterion"] = by
                if comparison.judge_notes.get(by):
                    details["judge_reason"] = comparison.judge_notes[by]
            if comparison.entry is not None:
                details["prompt_entry"] = str(comparison.entry + 1)
            try:
                pairs.append(
                    make_pair(
                        comparison.prompt,
                        Candidate(comparison.answer_b, self.model_b.name, comparison.finish_b),
                        Candidate(comparison.answer_a, self.model_a.name, comparison.finish_a),
                        source=source,
                        details=details,
                    )
                )
            except UserError:
                continue  # identical or empty answers teach nothing
        return pairs

    # ---- storage -----------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of everything (answers, order, verdicts)."""
        return {
            "id": self.id,
            "created_at": self.created_at,
            "model_a": asdict(self.model_a),
            "model_b": asdict(self.model_b),
            "seed": self.seed,
            "settings": dict(self.settings),
            "criteria": list(self.criteria),
            "connection_id": self.connection_id,
            "job_id": self.job_id,
            "prompt_note": self.prompt_note,
            "comparisons": [c.to_dict() for c in self.comparisons],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        """Read :meth:`to_dict`'s output."""
        return cls(
            model_a=ModelSide(**data["model_a"]),
            model_b=ModelSide(**data["model_b"]),
            comparisons=[Comparison.from_dict(c) for c in data.get("comparisons") or []],
            seed=int(data.get("seed", 0)),
            settings=dict(data.get("settings") or {}),
            criteria=[str(c) for c in data.get("criteria") or []],
            connection_id=str(data.get("connection_id", "")),
            job_id=str(data.get("job_id", "")),
            prompt_note=str(data.get("prompt_note", "")),
            id=str(data.get("id") or uuid.uuid4().hex),
            created_at=float(data.get("created_at") or time.time()),
        )

    def summary(self, policy: TiePolicy = TiePolicy.HALF) -> dict[str, Any]:
        """The numbers worth listing without loading every answer."""
        results = self.results(policy)
        return {
            "prompts": len(self.comparisons),
            "user_judged": self.user_judged,
            "policy": policy.value,
            "win_rates": {
                name: {
                    "wins": rate.wins,
                    "losses": rate.losses,
                    "ties": rate.ties,
                    "rate": rate.rate,
                    "low": rate.interval[0],
                    "high": rate.interval[1],
                }
                for name, rate in results.by_source.items()
            },
        }


# ---- generating --------------------------------------------------------------------------------------------

ProgressCallback = Callable[[int, int, str], None]
#: Sampling for evaluation answers: some variety, as users see it, but bounded length.
EVALUATION_SETTINGS = GenerationSettings(temperature=0.7, max_tokens=512)


def _never() -> bool:
    return False


def generate_comparisons(
    prompts: Sequence[EvalPrompt],
    model_a: ModelSide,
    model_b: ModelSide,
    generator_a: ChatGenerator,
    generator_b: ChatGenerator | None = None,
    *,
    settings: GenerationSettings = EVALUATION_SETTINGS,
    seed: int | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] = _never,
    workers: int = 4,
) -> Evaluation:
    """Ask both models for an answer to each prompt and shuffle left/right with a seeded coin per prompt.

    ``generator_b`` defaults to ``generator_a`` (both models on the same connection). Up to ``workers``
    requests run at once (the openai client is thread-safe); the result keeps the prompts' order, and the
    left/right order depends only on ``seed``, never on which answer came back first.
    """
    if not prompts:
        raise UserError("There are no prompts to evaluate on.", "Choose a dataset with prompts.")
    seed = random.SystemRandom().randrange(2**31) if seed is None else seed
    coin = random.Random(seed)
    sides = [coin.random() < 0.5 for _prompt in prompts]
    second = generator_b or generator_a
    jobs = [(generator_a, model_a, prompt) for prompt in prompts] + [
        (second, model_b, prompt) for prompt in prompts
    ]
    total = len(jobs)
    answers: list[Answer | None] = [None] * total
    done = 0
    lock = threading.Lock()

    def ask(position: int) -> None:
        nonlocal done
        if cancelled():
            return
        generator, side, prompt = jobs[position]
        answers[position] = generator.complete(side.model, prompt.context, settings)[0]
        with lock:  # reported under the lock, so the counts arrive in order
            done += 1
            if progress is not None:
                progress(done, total, f"{done} of {total} answers ({side.name})")

    if progress is not None:
        progress(0, total, f"Asking {model_a.name} and {model_b.name}…")
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="evaluation") as pool:
        futures = [pool.submit(ask, position) for position in range(total)]
        try:
            for future in futures:
                future.result()  # the first failure is raised here, after the others finished or were dropped
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    if cancelled() or any(answer is None for answer in answers):
        raise Cancelled("The evaluation was stopped before all answers were generated.", "")
    comparisons = []
    for number, prompt in enumerate(prompts):
        answer_a, answer_b = answers[number], answers[len(prompts) + number]
        assert answer_a is not None and answer_b is not None
        comparisons.append(
            Comparison(
                prompt=[dict(m) for m in prompt.context],
                answer_a=answer_a.text,
                answer_b=answer_b.text,
                a_on_left=sides[number],
                entry=prompt.entry,
                finish_a=answer_a.finish_reason,
                finish_b=answer_b.finish_reason,
            )
        )
    return Evaluation(
        model_a=model_a,
        model_b=model_b,
        comparisons=comparisons,
        seed=seed,
        settings={"temperature": settings.temperature, "max_tokens": settings.max_tokens},
    )


# ---- the judge ---------------------------------------------------------------------------------------------

JUDGE_PAIR_INSTRUCTIONS = (
    "You are a strict, impartial evaluator. You compare two answers to the same conversation against one "
    "criterion and nothing else.\nCriterion: {criterion}\n\n"
    "Reply with the better answer's number on the first line: 1, 2, or TIE when neither is better on this "
    "criterion. On the second line give one short sentence of reason. Answer length and order are not "
    "reasons by themselves."
)
JUDGE_SCORE_INSTRUCTIONS = (
    "You are a strict, impartial evaluator. Score the answer to the conversation against one criterion and "
    "nothing else.\nCriterion: {criterion}\n\n"
    "Reply with a whole number from 1 (fails the criterion) to 10 (meets it perfectly) on the first line, "
    "and one short sentence of reason on the second line."
)
_PAIR_REPLY = re.compile(r"^\W*(?:answer\s*)?(1|2|tie)\b", re.IGNORECASE)
_SCORE_REPLY = re.compile(r"^\D*?(\d+(?:\.\d+)?)")


def _transcript(prompt: Sequence[Message]) -> str:
    from dpo_studio.core.records import message_text

    return "\n".join(f"[{m.get('role', '')}] {message_text(m)}" for m in prompt)


def judge_messages(criterion: str, prompt: Sequence[Message], first: str, second: str) -> list[Message]:
    """The judge's request for a pair: the criterion, the conversation and the two answers, numbered."""
    return [
        {"role": "system", "content": JUDGE_PAIR_INSTRUCTIONS.format(criterion=criterion.strip())},
        {
            "role": "user",
            "content": f"Conversation:\n{_transcript(prompt)}\n\nAnswer 1:\n{first}\n\nAnswer 2:\n{second}",
        },
    ]


def parse_pair_reply(text: str) -> tuple[Side | None, str]:
    """The side the judge chose (answer 1 = left) and its reason; None when the reply is unreadable."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None, ""
    match = _PAIR_REPLY.match(lines[0])
    if match is None:
        return None, text.strip()[:300]
    word = match.group(1).lower()
    side = {"1": Side.LEFT, "2": Side.RIGHT, "tie": Side.TIE}[word]
    reason = " ".join(lines[1:]) or lines[0][match.end() :].strip(" :.-")
    return side, reason[:300]


def judge_comparison(
    generator: ChatGenerator, judge_model: str, criterion: str, comparison: Comparison
) -> Verdict | None:
    """Ask the judge which answer better meets ``criterion``; records and returns its verdict.

    The answers are shown in the comparison's own random order, so the judge's position bias does not
    favour either model. An unreadable reply leaves the comparison unjudged for this criterion.
    """
    messages = judge_messages(criterion, comparison.prompt, comparison.left, comparison.right)
    reply = generator.complete(judge_model, messages, GenerationSettings(temperature=0.0, max_tokens=200))
    side, reason = parse_pair_reply(reply[0].text)
    if side is None:
        comparison.judge_notes[criterion] = f"Unreadable judge reply: {reason}"
        return None
    verdict = comparison.verdict_for(side)
    comparison.judge[criterion] = verdict
    comparison.judge_notes[criterion] = reason
    return verdict


def judge_evaluation(
    evaluation: Evaluation,
    generator: ChatGenerator,
    judge_model: str,
    criteria: Sequence[str],
    *,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] = _never,
) -> Evaluation:
    """Judge every comparison on every criterion (adds the criteria to the evaluation)."""
    names = [c.strip() for c in criteria if c.strip()]
    if not names:
        raise UserError(
            "Write at least one criterion for the judge.", "For example: 'Answers in one sentence.'"
        )
    for name in names:
        if name not in evaluation.criteria:
            evaluation.criteria.append(name)
    total = len(names) * len(evaluation.comparisons)
    done = 0
    for name in names:
        for comparison in evaluation.comparisons:
            if cancelled():
                raise Cancelled("Judging was stopped.", "Verdicts given so far are kept.")
            if progress is not None:
                progress(done, total, f"Judging: {name[:40]}")
            judge_comparison(generator, judge_model, name, comparison)
            done += 1
    if progress is not None:
        progress(total, total, "Judged")
    return evaluation


def parse_score_reply(text: str) -> float | None:
    """The score (1–10) on the first line of a judge reply, or None."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    match = _SCORE_REPLY.match(first)
    if match is None:
        return None
    value = float(match.group(1))
    return value if 0 <= value <= 10 else None


def score_candidates(
    generator: ChatGenerator,
    judge_model: str,
    criterion: str,
    context: Sequence[Message],
    candidates: Sequence[Answer | Candidate],
    *,
    cancelled: Callable[[], bool] = _never,
) -> list[float]:
    """Score each candidate 1–10 against ``criterion`` (criteria feedback); unreadable replies score 0."""
    if not criterion.strip():
        raise UserError("Write the criterion the judge scores against.", "For example: 'Under 50 words.'")
    scores: list[float] = []
    for candidate in candidates:
        if cancelled():
            raise Cancelled("Scoring was stopped.", "")
        messages: list[Message] = [
            {"role": "system", "content": JUDGE_SCORE_INSTRUCTIONS.format(criterion=criterion.strip())},
            {
                "role": "user",
                "content": f"Conversation:\n{_transcript(context)}\n\nAnswer:\n{candidate.text}",
            },
        ]
        reply = generator.complete(judge_model, messages, GenerationSettings(temperature=0.0, max_tokens=100))
        score = parse_score_reply(reply[0].text)
        scores.append(score if score is not None else 0.0)
    return scores


# ---- history -----------------------------------------------------------------------------------------------


def save_evaluation(store: HistoryStore, evaluation: Evaluation, policy: TiePolicy = TiePolicy.HALF) -> None:
    """Keep the evaluation (every answer and verdict) with its run in the history store."""
    store.save_evaluation(
        evaluation.id,
        connection_id=evaluation.connection_id,
        job_id=evaluation.job_id,
        model_a=evaluation.model_a.name,
        model_b=evaluation.model_b.name,
        created_at=evaluation.created_at,
        summary=evaluation.summary(policy),
        data=evaluation.to_dict(),
    )


def load_evaluations(store: HistoryStore, *, job_id: str | None = None) -> list[Evaluation]:
    """Stored evaluations, newest first (of one run, or all)."""
    return [Evaluation.from_dict(stored.data) for stored in store.evaluations(job_id=job_id)]
