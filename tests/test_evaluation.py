"""Blind evaluation: Wilson win-rate statistics against published reference values, and a whole evaluation
(generation through the real SDK, scripted blind picks, an LLM judge, lost comparisons as pairs, history)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dpo_studio.core.document import Document
from dpo_studio.core.preference_sources import SOURCE_CRITERIA_JUDGE, SOURCE_USER_CHOICE
from dpo_studio.core.records import message_text
from dpo_studio.core.winrate import TiePolicy, WinRate, wilson_interval, win_rate
from dpo_studio.services.evaluation import (
    USER,
    Evaluation,
    ModelSide,
    Side,
    Verdict,
    generate_comparisons,
    judge_evaluation,
    load_evaluations,
    parse_pair_reply,
    parse_score_reply,
    save_evaluation,
    score_candidates,
    select_prompts,
)
from dpo_studio.services.generation import Answer, GenerationSettings
from dpo_studio.services.history import HistoryStore
from tests.apiserver.server import ApiServer
from tests.loop_support import BASE_MODEL, generator, prompt_records, tuned_setup

pytestmark = pytest.mark.usefixtures("memory_keyring")


# ---- statistics --------------------------------------------------------------------------------------------

# Reference values: R `stests::ci_p_wilson` documentation examples (x=0,15,50 of n=50) and an RPubs worked
# example (6 of 32), all 95 % with the exact normal quantile.
WILSON_REFERENCE = [
    (0, 50, 0.0, 0.07134760),
    (15, 50, 0.1910355, 0.4375035),
    (50, 50, 0.9286524, 1.0),
    (6, 32, 0.08889545, 0.35309155),
]


@pytest.mark.parametrize(("successes", "trials", "low", "high"), WILSON_REFERENCE)
def test_wilson_interval_matches_published_values(
    successes: int, trials: int, low: float, high: float
) -> None:
    got_low, got_high = wilson_interval(successes, trials)
    assert got_low == pytest.approx(low, abs=1e-7)
    assert got_high == pytest.approx(high, abs=1e-7)


def test_wilson_interval_edges_and_levels() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    narrow, wide = wilson_interval(15, 50, 0.80), wilson_interval(15, 50, 0.99)
    assert wide[0] < 0.1910355 < narrow[0] and narrow[1] < 0.4375035 < wide[1]
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_ties_count_as_half_or_are_excluded() -> None:
    verdicts = ["a"] * 12 + ["b"] * 3 + ["tie"] * 4 + [None] * 2
    half = win_rate(verdicts)
    assert (half.wins, half.losses, half.ties, half.judged) == (12, 3, 4, 19)
    assert half.rate == pytest.approx(14 / 19)
    assert half.interval == wilson_interval(14, 19)
    excluded = win_rate(verdicts, TiePolicy.EXCLUDED)
    assert excluded.rate == pytest.approx(12 / 15) and excluded.interval == wilson_interval(12, 15)
    assert "ties count as half" in half.describe() and "ties are left out" in excluded.describe()
    assert half.describe().startswith("73.7% (95% CI")
    assert WinRate(0, 0, 3, TiePolicy.EXCLUDED).rate is None
    assert "better" in WinRate(40, 5, 0).verdict and "worse" in WinRate(5, 40, 0).verdict
    assert "includes 50" in WinRate(6, 4, 0).verdict


# ---- a whole evaluation against the local server -----------------------------------------------------------

LONG = "This answer goes on and on, with more words than anyone needed to read here."


def scripted(tuned_model: str) -> Any:
    """Answers: the tuned model is shorter than the base on questions 0–6, longer on 7–8, as long on 9.

    A judge request (system message of an evaluator) gets "1"/"2"/"TIE" for the shorter answer.
    """

    def respond(model: str, messages: list[dict[str, Any]], index: int) -> str:
        system = str(messages[0].get("content", ""))
        if "impartial evaluator" in system:
            text = str(messages[-1]["content"])
            first = text.split("Answer 1:\n", 1)[1].split("\n\nAnswer 2:\n", 1)[0]
            second = text.split("\n\nAnswer 2:\n", 1)[1]
            if "Score the answer" in system:
                return "9\nshort" if len(second) < 40 else "3\ntoo long"
            if len(first) == len(second):
                return "TIE\nequally long"
            return ("1" if len(first) < len(second) else "2") + "\nshorter is better here"
        question = int(str(messages[-1]["content"]).split()[1].rstrip(":"))
        if model == tuned_model:
            if question <= 6:
                return f"Short {question}."
            return LONG if question <= 8 else f"Even {question:02d}."
        return f"Same {question:02d}." if question == 9 else f"A medium answer to {question:02d}."

    return respond


def test_blind_evaluation_with_scripted_picks_gives_the_expected_win_rate(
    api_server: ApiServer, tmp_path: Path
) -> None:
    setup = tuned_setup(api_server, tmp_path)
    api_server.chat_responder = scripted(setup.tuned_model)
    selection = select_prompts(prompt_records(20), limit=10)
    assert [p.entry for p in selection.prompts] == list(range(10, 20))  # the validation half
    # Questions are numbered by entry; renumber to 0-9 so the script can read them.
    for number, prompt in enumerate(selection.prompts):
        prompt.context[-1]["content"] = f"Question {number}: how do I pick a learning rate?"

    chat = generator(setup.profile)
    tuned = ModelSide(setup.tuned_name, "tuned")
    base = ModelSide(setup.base_name, "base")
    progress: list[tuple[int, int]] = []
    evaluation = generate_comparisons(
        selection.prompts, tuned, base, chat, seed=42, progress=lambda d, t, _x: progress.append((d, t))
    )
    assert progress[-1] == (20, 20) and len(evaluation.comparisons) == 10
    assert len(api_server.requests_to("POST", r"/chat/completions$")) == 20
    sides = [c.a_on_left for c in evaluation.comparisons]
    assert True in sides and False in sides  # both orders occur
    again = generate_comparisons(selection.prompts, tuned, base, chat, seed=42)
    assert [c.a_on_left for c in again.comparisons] == sides  # the seed fixes the order

    # A blind user who only sees left and right and always picks the shorter answer (tie when equal).
    for comparison in evaluation.comparisons:
        left, right = comparison.left, comparison.right
        side = Side.TIE if len(left) == len(right) else (Side.LEFT if len(left) < len(right) else Side.RIGHT)
        comparison.pick(side)
    assert evaluation.complete
    user = evaluation.results().user
    assert user is not None and (user.wins, user.losses, user.ties) == (7, 2, 1)
    assert user.rate == pytest.approx(0.75)
    assert user.interval == pytest.approx(wilson_interval(7.5, 10))
    excluded = evaluation.results(TiePolicy.EXCLUDED).user
    assert excluded is not None and excluded.rate == pytest.approx(7 / 9)

    # The judge with a written criterion agrees with the user here.
    judge_evaluation(evaluation, chat, BASE_MODEL, ["Shorter is better"])
    judged = evaluation.results().by_source["Shorter is better"]
    assert (judged.wins, judged.losses, judged.ties) == (7, 2, 1)
    judge_requests = [
        r
        for r in api_server.requests_to("POST", r"/chat/completions$")
        if r.json and r.json["temperature"] == 0.0
    ]
    assert len(judge_requests) == 10

    # Every loss becomes a candidate pair with the winner preferred.
    pairs = evaluation.candidate_pairs()
    assert len(pairs) == 2
    for pair in pairs:
        assert pair.rejected_text == LONG and pair.preferred_text != LONG
        assert pair.metadata["source"] == SOURCE_USER_CHOICE
        assert pair.metadata["preferred_model"] == "base" and pair.metadata["rejected_model"] == "tuned"
        assert pair.metadata["evaluation"] == evaluation.id
    assert {message_text(p.context[-1]).split()[1] for p in pairs} == {"7:", "8:"}

    # Saved with the run; loads back identical.
    store = HistoryStore(tmp_path / "history.sqlite3")
    evaluation.connection_id, evaluation.job_id = setup.profile.id, setup.job_id
    save_evaluation(store, evaluation)
    stored = store.evaluations(job_id=setup.job_id)
    assert len(stored) == 1 and stored[0].summary["win_rates"][USER]["rate"] == pytest.approx(0.75)
    assert stored[0].model_a == "tuned"
    loaded = load_evaluations(HistoryStore(tmp_path / "history.sqlite3"), job_id=setup.job_id)[0]
    assert loaded.to_dict() == evaluation.to_dict()
    assert store.evaluations(job_id="other") == []

    # Added to a dataset and written: the source survives in the file.
    document = Document.new()
    document.insert(len(document), pairs)
    target = tmp_path / "new-pairs.jsonl"
    document.save(target)
    assert target.read_text(encoding="utf-8").count('"user choice"') == 2


def test_judge_only_losses_record_the_criterion(api_server: ApiServer, tmp_path: Path) -> None:
    setup = tuned_setup(api_server, tmp_path)
    api_server.chat_responder = scripted(setup.tuned_model)
    prompts = select_prompts(prompt_records(3, validation=0), limit=3).prompts
    assert "whole dataset" in select_prompts(prompt_records(3, validation=0)).note
    for number, prompt in enumerate(prompts):
        prompt.context[-1]["content"] = f"Question {number + 7}: x"
    chat = generator(setup.profile)
    evaluation = generate_comparisons(
        prompts, ModelSide(setup.tuned_name), ModelSide(BASE_MODEL), chat, seed=1
    )
    judge_evaluation(evaluation, chat, BASE_MODEL, ["Shorter is better", "  "])
    assert evaluation.criteria == ["Shorter is better"]
    assert evaluation.results().user is None
    pairs = evaluation.candidate_pairs()
    assert len(pairs) == 2  # questions 7 and 8; 9 is a tie
    assert all(p.metadata["source"] == SOURCE_CRITERIA_JUDGE for p in pairs)
    assert all(p.metadata["criterion"] == "Shorter is better" for p in pairs)
    assert all(p.metadata["judge_reason"] == "shorter is better here" for p in pairs)


def test_criteria_scores_for_candidates(api_server: ApiServer, tmp_path: Path) -> None:
    setup = tuned_setup(api_server, tmp_path)
    api_server.chat_responder = scripted(setup.tuned_model)
    context = [{"role": "user", "content": "Question 1: x"}]
    candidates = [Answer(LONG, "stop", "m"), Answer("Tiny.", "stop", "m")]
    # The score prompt has one answer; the script scores short answers 9 and long ones 3.
    original = api_server.chat_responder

    def score_responder(model: str, messages: list[dict[str, Any]], index: int) -> str:
        text = str(messages[-1]["content"])
        if "Score the answer" in str(messages[0]["content"]):
            answer = text.split("Answer:\n", 1)[1]
            return "Score: 9\nshort" if len(answer) < 40 else "3/10\ntoo long"
        return original(model, messages, index)

    api_server.chat_responder = score_responder
    scores = score_candidates(generator(setup.profile), BASE_MODEL, "Brief", context, candidates)
    assert scores == [3.0, 9.0]


def test_judge_replies_are_parsed_leniently() -> None:
    assert parse_pair_reply("1\nclearer") == (Side.LEFT, "clearer")
    assert parse_pair_reply("Answer 2: it is shorter") == (Side.RIGHT, "it is shorter")
    assert parse_pair_reply("**TIE**\nboth fine") == (Side.TIE, "both fine")
    assert parse_pair_reply("I cannot decide")[0] is None
    assert parse_pair_reply("")[0] is None
    assert parse_score_reply("Score: 7\nok") == 7.0
    assert parse_score_reply("8/10") == 8.0
    assert parse_score_reply("eleven") is None and parse_score_reply("42") is None


def test_picks_map_to_models_whichever_side_they_are_on() -> None:
    evaluation = Evaluation(ModelSide("a"), ModelSide("b"), [])
    from dpo_studio.services.evaluation import Comparison

    left_a = Comparison([{"role": "user", "content": "q"}], "A", "B", a_on_left=True)
    right_a = Comparison([{"role": "user", "content": "q"}], "A", "B", a_on_left=False)
    assert (left_a.left, left_a.right, right_a.left, right_a.right) == ("A", "B", "B", "A")
    assert left_a.pick("left") is Verdict.A and right_a.pick("left") is Verdict.B
    assert right_a.pick(Side.TIE) is Verdict.TIE
    assert right_a.side_of(Verdict.A) is Side.RIGHT
    right_a.finish_a = "length"
    assert (right_a.left_finish, right_a.right_finish) == ("stop", "length")
    evaluation.comparisons = [left_a, right_a]
    right_a.user = None
    assert evaluation.next_unjudged() == 1 and evaluation.user_judged == 1
    assert Comparison.from_dict(left_a.to_dict()) == left_a
    assert GenerationSettings(None, None).request_fields() == {}


def test_generation_failure_and_cancel_are_reported(api_server: ApiServer, tmp_path: Path) -> None:
    from dpo_studio.services.errors import Cancelled, ServerError

    setup = tuned_setup(api_server, tmp_path)
    prompts = select_prompts(prompt_records(8), limit=8).prompts
    chat = generator(setup.profile)
    sides = (ModelSide(setup.tuned_name), ModelSide(BASE_MODEL))
    api_server.faults.add("POST", r"^/chat/completions$", "status", status=500, times=10)
    with pytest.raises(ServerError, match="internal problem"):
        generate_comparisons(prompts, *sides, chat, seed=1)
    api_server.faults.clear()
    asked = len(api_server.requests_to("POST", r"^/chat/completions$"))
    with pytest.raises(Cancelled):
        generate_comparisons(prompts, *sides, chat, seed=1, cancelled=lambda: True)
    assert len(api_server.requests_to("POST", r"^/chat/completions$")) == asked  # nothing more was sent
    one_at_a_time = generate_comparisons(prompts, *sides, chat, seed=1, workers=1)
    four = generate_comparisons(prompts, *sides, chat, seed=1, workers=4)
    assert one_at_a_time.to_dict()["comparisons"] == four.to_dict()["comparisons"]


def test_a_version_2_history_gains_the_evaluations_table_in_place(tmp_path: Path) -> None:
    import sqlite3

    from dpo_studio.services.history import SCHEMA_VERSION

    path = tmp_path / "history.sqlite3"
    HistoryStore(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE evaluations")  # what a file written before issue 8 looks like
    db.execute("PRAGMA user_version = 2")
    db.execute("INSERT INTO connections (connection_id, name, kind) VALUES ('c1', 'Kept', 'openai')")
    db.commit()
    db.close()
    store = HistoryStore(path)
    assert store.schema_version() == SCHEMA_VERSION >= 3
    assert [c.name for c in store.connections()] == ["Kept"]
    evaluation = Evaluation(ModelSide("a"), ModelSide("b"), [], job_id="job-1")
    save_evaluation(store, evaluation)
    assert [e.id for e in load_evaluations(store, job_id="job-1")] == [evaluation.id]
