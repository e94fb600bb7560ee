"""The Evaluate tab's screens for ``python -m dpo_studio.ui.screenshots`` (found automatically).

No network: the answers shown are the sample dataset's own preferred and rejected answers, put where the
models' answers would be, and two example connections are saved in the temporary home.
"""

from __future__ import annotations

import random

from PySide6.QtWidgets import QWidget

from dpo_studio.services.connections import ConnectionStore, ProviderKind, new_profile
from dpo_studio.services.evaluation import Comparison, Evaluation, ModelSide, Verdict
from dpo_studio.services.generation import Answer
from dpo_studio.ui.screenshots import ScreenContext, screen

TUNED = "gpt-4.1-mini-2025-04-14.ft-3f9c2a-support-tone"
BASE = "gpt-4.1-mini"


def _window(ctx: ScreenContext) -> object:
    from dpo_studio.ui.main_window import MainWindow

    window = ctx.window
    assert isinstance(window, MainWindow)
    return window


def _prepare(ctx: ScreenContext) -> object:
    """Two saved connections, the sample dataset open, the Evaluate tab in front."""
    store = ConnectionStore()
    if not store.list():
        store.save(
            new_profile("Contoso Azure OpenAI", ProviderKind.AZURE_OPENAI, "https://contoso.openai.azure.com")
        )
    ctx.open_sample()
    window = _window(ctx)
    install_tab = getattr(window, "loop_tab", None)
    assert install_tab is not None
    for page in (install_tab.playground, install_tab.blind, install_tab.generations):
        for picker in _pickers(page):
            picker.reload_connections()
    window.show_tab(install_tab)  # type: ignore[attr-defined]
    ctx.settle(1)
    return install_tab


def _pickers(page: object) -> list:  # type: ignore[type-arg]
    from dpo_studio.ui.loop.common import ModelPicker

    assert isinstance(page, QWidget)
    return page.findChildren(ModelPicker)


def _sample_pairs(ctx: ScreenContext) -> list:  # type: ignore[type-arg]
    from dpo_studio.ui.main_window import MainWindow

    window = ctx.window
    assert isinstance(window, MainWindow)
    document = window.session.document
    pairs = []
    for index in document.record_indices():
        record = document.record(index)
        if record is not None and record.preferred_text and record.rejected_text and not record.tools:
            pairs.append((index, record))
    return pairs


@screen("playground", "Playground: one prompt, the tuned and the base model side by side, streamed")
def _playground(ctx: ScreenContext) -> QWidget:
    tab = _prepare(ctx)
    page = tab.playground  # type: ignore[attr-defined]
    _index, record = _sample_pairs(ctx)[0]
    page.use_dataset_system_message()
    page.user_edit.setPlainText(record.last_user_text)
    for column, model, text in (
        (page.columns[0], TUNED, record.preferred_text),
        (page.columns[1], BASE, record.rejected_text),
    ):
        column.picker.set_model(model)
        column.show_text(text)
        column.result = Answer(text, "stop", model, 120, len(text.split()))
        column.status.setText(f"Answered by {model} (complete, {len(text.split())} tokens).")
    page._update_buttons()
    ctx.settle(1)
    window = _window(ctx)
    assert isinstance(window, QWidget)
    return window


def _evaluation(ctx: ScreenContext) -> Evaluation:
    chooser = random.Random(3)
    comparisons = []
    for index, record in _sample_pairs(ctx)[:12]:
        comparisons.append(
            Comparison(
                prompt=[dict(m) for m in record.context],
                answer_a=record.preferred_text,
                answer_b=record.rejected_text,
                a_on_left=chooser.random() < 0.5,
                entry=index,
            )
        )
    return Evaluation(
        ModelSide(TUNED, TUNED),
        ModelSide(BASE, BASE),
        comparisons,
        seed=3,
        prompt_note="Prompts come from the whole dataset.",
    )


@screen("blind-comparison", "Blind evaluation: two answers in random order, no names; Left / Right / T")
def _blind_comparison(ctx: ScreenContext) -> QWidget:
    tab = _prepare(ctx)
    page = tab.blind  # type: ignore[attr-defined]
    tab.pages.setCurrentWidget(page)  # type: ignore[attr-defined]
    evaluation = _evaluation(ctx)
    page.begin(evaluation)
    for side in ("left", "right", "left"):
        page.pick(side)
    ctx.settle(1)
    window = _window(ctx)
    assert isinstance(window, QWidget)
    return window


@screen("blind-result", "Blind evaluation result: names revealed, win rate with its 95% interval")
def _blind_result(ctx: ScreenContext) -> QWidget:
    tab = _prepare(ctx)
    page = tab.blind  # type: ignore[attr-defined]
    tab.pages.setCurrentWidget(page)  # type: ignore[attr-defined]
    evaluation = _evaluation(ctx)
    evaluation.criteria.append("At most three sentences, no filler")
    page.evaluation = evaluation
    criterion = "At most three sentences, no filler"
    for number, comparison in enumerate(evaluation.comparisons):
        comparison.user = Verdict.TIE if number == 6 else (Verdict.B if number in (4, 9) else Verdict.A)
        comparison.judge[criterion] = Verdict.B if number == 9 else Verdict.A
        comparison.judge_notes[criterion] = "Shorter, and answers the question directly."
    page.finish()
    ctx.settle(1)
    window = _window(ctx)
    assert isinstance(window, QWidget)
    return window


@screen("deploy", "Deploy dialog: the costs of each deployment type stated before deploying")
def _deploy(ctx: ScreenContext) -> QWidget:
    tab = _prepare(ctx)
    from dpo_studio.ui.loop.deploy_dialog import DeployDialog

    profile = ConnectionStore().list()[0]
    dialog = DeployDialog(
        profile,
        [
            (f"Fine-tuned model  {TUNED}", TUNED),
            ("Checkpoint at step 40  gpt-4.1-mini.ft-3f9c2a:ckpt-step-40", "ckpt"),
        ],
        tab,  # type: ignore[arg-type]
    )
    dialog.subscription_edit.setText("6f1c0e2a-4b7d-4c1e-9a53-2d8e0b7c91f4")
    dialog.group_edit.setText("rg-support-bot")
    dialog.show()
    ctx.settle(1)
    return dialog


@screen("generations", "Pairs from generations: four answers, best and worst picked")
def _generations(ctx: ScreenContext) -> QWidget:
    from dpo_studio.core.preference_sources import Candidate

    tab = _prepare(ctx)
    page = tab.generations  # type: ignore[attr-defined]
    tab.pages.setCurrentWidget(page)  # type: ignore[attr-defined]
    pairs = _sample_pairs(ctx)
    index, record = pairs[1]
    page.set_prompt(record.context, record, index)
    page.picker.set_model(BASE)
    texts = [
        record.preferred_text,
        record.rejected_text,
        pairs[2][1].preferred_text,
        pairs[3][1].rejected_text,
    ]
    page.candidates = [Candidate(text, BASE) for text in texts]
    page._refresh_candidates()
    page.list.setCurrentRow(0)
    page.worst_combo.setCurrentIndex(1)
    ctx.settle(1)
    window = _window(ctx)
    assert isinstance(window, QWidget)
    return window
