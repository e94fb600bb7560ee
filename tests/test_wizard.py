"""The job wizard walked as a person would, against the local API server (OpenAI style and Azure style).

Real widgets (offscreen), the real openai SDK, a real keyring API (in-memory backend) and the real history
store; the server records what it received so the test checks the exact request.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from dpo_studio.core.document import Document
from dpo_studio.services.connections import ConnectionStore, ProviderKind, new_profile
from dpo_studio.services.credentials import CredentialStore
from dpo_studio.services.history import history, sha256_of_bytes
from dpo_studio.services.jobplan import SECTION, WizardDefaults
from dpo_studio.services.pipelines import PipelineStore
from dpo_studio.services.providers import ProviderOptions, job_request_body, open_provider, traits_for
from dpo_studio.services.runs import RunSync
from dpo_studio.services.settings import settings
from dpo_studio.services.submission import Step
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import task_runner
from dpo_studio.ui.wizard import FineTuneTab, JobWizard
from dpo_studio.ui.wizard.pages import (
    PAGE_METHOD,
    PAGE_REVIEW,
    PAGE_SETTINGS,
    PAGE_SUBMIT,
    PAGE_TIER,
    PAGE_TRAINING,
    PAGE_VALIDATION,
)
from tests.apiserver.server import ApiServer
from tests.keyring_backends import MemoryKeyring
from tests.provider_options import FAST, MULTIPART

MODEL = "gpt-4.1-mini-2025-04-14"


def pair(index: int, prompt: int | None = None) -> dict[str, object]:
    return {
        "input": {
            "messages": [
                {"role": "user", "content": f"Greet customer number {index if prompt is None else prompt}."}
            ]
        },
        "preferred_output": [
            {"role": "assistant", "content": f"Hello, customer {index}! How can I help you today?"}
        ],
        "non_preferred_output": [{"role": "assistant", "content": "What."}],
    }


def write_pairs(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def connect(server: ApiServer) -> str:
    """Save a connection to the server; its key goes to the (in-memory) keyring only."""
    kind = ProviderKind.OPENAI if server.style == "openai" else ProviderKind.AZURE_OPENAI
    profile = new_profile(f"Local {server.style}", kind, server.base_url)
    ConnectionStore().save(profile)
    CredentialStore().set_secret(profile.id, server.api_key)
    return profile.id


_sessions: list[DocumentSession] = []


@pytest.fixture(autouse=True)
def _release_qt_objects(qtbot: QtBot) -> Iterator[None]:
    """Sessions are stopped and deleted on the GUI thread, and cycles collected there too.

    Without this, Python's cyclic garbage collector may run in a worker thread of a later test (for
    example while the openai SDK sleeps before a retry) and destroy a QObject from that thread.
    """
    yield
    settle(qtbot)
    while _sessions:
        session = _sessions.pop()
        session.shutdown()
        session.deleteLater()
    QApplication.processEvents()
    gc.collect()
    QApplication.processEvents()


def open_session(qtbot: QtBot, path: Path) -> DocumentSession:
    session = DocumentSession(Document.open(path), journal=False)
    _sessions.append(session)
    settle(qtbot)
    return session


def settle(qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: not task_runner().running(), timeout=30_000)
    QApplication.processEvents()


def make_wizard(qtbot: QtBot, session: DocumentSession | None, options: ProviderOptions = FAST) -> JobWizard:
    wizard = JobWizard(session, provider_options=options)
    qtbot.addWidget(wizard)
    wizard.show()
    settle(qtbot)
    return wizard


def next_page(qtbot: QtBot, wizard: JobWizard, expected: int) -> None:
    settle(qtbot)
    assert wizard.currentPage().isComplete(), f"page {wizard.currentId()} is not complete"
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    wizard.next()
    settle(qtbot)
    assert wizard.currentId() == expected


def walk_to_review(
    qtbot: QtBot, wizard: JobWizard, server: ApiServer, *, sft_first: bool = False, split: bool = True
) -> None:
    page = wizard.connection_page
    qtbot.waitUntil(lambda: page.model.count() > 0, timeout=20_000)
    page.model.setCurrentIndex(page.model.findData(MODEL))
    assert wizard.state.model == MODEL
    assert (
        "legacy" in page.notes_text.text().lower()
        if server.style == "openai"
        else "tier" in page.notes_text.text()
    )
    next_page(qtbot, wizard, PAGE_METHOD)
    wizard.method_page.sft_first.setChecked(sft_first)
    if server.style == "azure":
        next_page(qtbot, wizard, PAGE_TIER)
        wizard.tier_page.buttons[next(iter(wizard.tier_page.buttons))].setChecked(True)  # Standard
        next_page(qtbot, wizard, PAGE_TRAINING)
    else:
        next_page(qtbot, wizard, PAGE_TRAINING)
    qtbot.waitUntil(lambda: wizard.state.training is not None, timeout=30_000)
    assert wizard.training_page.preview.rowCount() == 5
    assert "examples" in wizard.training_page.summary.text()
    next_page(qtbot, wizard, PAGE_VALIDATION)
    if split:
        wizard.validation_page.split.setChecked(True)
        wizard.validation_page.ratio.setValue(25)
        wizard.validation_page.seed.setValue(3)
        assert not wizard.validation_page.isComplete()  # until the split (made in the background) is back
        settle(qtbot)
        assert "validation pairs" in wizard.validation_page.summary.text()
        assert wizard.state.validation_count() == len(wizard.state.validation_indices or [])
    next_page(qtbot, wizard, PAGE_SETTINGS)
    settings_page = wizard.settings_page
    settings_page.suffix.setText("tone-v1")
    settings_page.seed.setText("11")
    settings_page.fields["beta"].setText("0.3")
    settings_page.fields["n_epochs"].setText("2")
    if server.style == "azure":
        settings_page.fields["l2_multiplier"].setText("0.05")
    else:
        assert not settings_page.rows["l2_multiplier"].isVisibleTo(settings_page)
    next_page(qtbot, wizard, PAGE_REVIEW)


def submit(qtbot: QtBot, wizard: JobWizard) -> None:
    assert wizard.button(QWizard.WizardButton.NextButton).text() == "Submit"
    wizard.next()
    assert wizard.currentId() == PAGE_SUBMIT
    qtbot.waitUntil(lambda: not wizard.submit_page.running, timeout=30_000)
    settle(qtbot)


def test_wizard_end_to_end_sends_the_reviewed_request(
    qtbot: QtBot, server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path, presented: list[object]
) -> None:
    connection_id = connect(server)
    path = write_pairs(tmp_path / "tone.jsonl", [pair(i, prompt=i // 2) for i in range(40)])
    wizard = make_wizard(qtbot, open_session(qtbot, path))
    walk_to_review(qtbot, wizard, server)

    review = wizard.review_page
    reviewed = json.loads(review.body.toPlainText())
    assert reviewed["method"]["dpo"]["hyperparameters"]["beta"] == 0.3
    qtbot.waitUntil(lambda: review.plan_cost is not None, timeout=30_000)
    assert "$" in review.cost.text() and "–" in review.cost.text()
    warnings = review.warnings.text()
    assert "Small dataset" in warnings
    assert ("hourly hosting fee" in warnings) == (server.style == "azure")
    assert server.api_key not in review.python_text() + review.curl_text() + review.body.toPlainText()
    review.copy_python.click()
    assert "fine_tuning.jobs.create(" in QApplication.clipboard().text()
    assert not server.received or not server.requests_to("POST", r"^/files$")  # nothing sent before Submit

    submit(qtbot, wizard)
    assert wizard.submit_page.outcome is not None, wizard.submit_page.problem.text()
    (sent,) = server.requests_to("POST", r"^/fine_tuning/jobs$")
    body = sent.json
    assert body["model"] == MODEL and body["method"]["type"] == "dpo"
    hyper = body["method"]["dpo"]["hyperparameters"]
    assert hyper == {
        "beta": 0.3,
        "batch_size": "auto",
        "learning_rate_multiplier": "auto",
        "n_epochs": 2,
        **({"l2_multiplier": 0.05} if server.style == "azure" else {}),
    }
    assert body["suffix"] == "tone-v1" and body["seed"] == 11
    assert body.get("trainingType") == ("Standard" if server.style == "azure" else None)
    uploads = server.requests_to("POST", r"^/files$")
    assert len(uploads) == 2
    assert {body["training_file"], body["validation_file"]} == {
        wizard.submit_page.submission.plan.training.remote_id,  # type: ignore[union-attr]
        wizard.submit_page.submission.plan.validation.remote_id,  # type: ignore[union-attr]
    }
    # What was reviewed is what was sent, file ids apart.
    reviewed["training_file"], reviewed["validation_file"] = body["training_file"], body["validation_file"]
    assert reviewed == body

    job_id = wizard.submit_page.outcome.job.id
    record = history().provenance(job_id)
    assert record is not None
    assert record.dataset_path == str(path) and record.dataset_sha256 == sha256_of_bytes(path.read_bytes())
    assert record.training_file_id == body["training_file"]
    assert record.validation_file_id == body["validation_file"]
    sent_bytes = wizard.submit_page.submission.plan.training.upload.data  # type: ignore[union-attr]
    assert record.uploaded_sha256 == sha256_of_bytes(sent_bytes)
    assert record.request_body == body
    assert record.extra["connection"]["id"] == connection_id
    assert record.extra["dataset_unsaved_edits"] is False

    # Later the run history's sync brings the resulting model and checkpoints into the provenance.
    server.run_to_completion(job_id)
    sync = RunSync(history(), provider_factory=lambda profile: open_provider(profile, options=FAST))
    sync.sync_job(connection_id, job_id)
    later = history().provenance(job_id)
    assert later is not None and later.fine_tuned_model == server.job(job_id)["fine_tuned_model"]
    assert later.checkpoints and all(later.checkpoints)

    remembered = settings().load(SECTION, WizardDefaults)
    assert (
        remembered.suffix == "tone-v1" and remembered.beta == "0.3" and remembered.validation_mode == "split"
    )
    assert wizard.submit_page.show_run_button.isVisibleTo(wizard)
    with qtbot.waitSignal(wizard.runRequested) as jumped:
        wizard.accept()
    assert jumped.args == [connection_id, job_id]
    assert not presented

    again = make_wizard(qtbot, None)  # the next wizard starts from the remembered choices
    assert again.state.defaults.suffix == "tone-v1"
    qtbot.waitUntil(lambda: again.connection_page.model.count() > 0, timeout=20_000)
    assert again.state.model == MODEL


def test_invalid_data_blocks_next(
    qtbot: QtBot, api_server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    connect(api_server)
    records = [pair(i) for i in range(12)]
    records[3]["non_preferred_output"] = records[3]["preferred_output"]  # identical answers: an error
    path = write_pairs(tmp_path / "bad.jsonl", records)
    wizard = make_wizard(qtbot, open_session(qtbot, path))
    qtbot.waitUntil(lambda: wizard.connection_page.model.count() > 0, timeout=20_000)
    next_page(qtbot, wizard, PAGE_METHOD)
    next_page(qtbot, wizard, PAGE_TRAINING)
    page = wizard.training_page
    qtbot.waitUntil(lambda: wizard.state.training is not None, timeout=30_000)
    assert not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert page.problem.isVisibleTo(page) and "Errors block the upload" in page.problem.text()
    assert "line 4" in page.findings.text()

    # A too-small file is refused the same way, and a setting out of range blocks its page.
    page.file_choice.setChecked(True)
    page.path.setText(str(write_pairs(tmp_path / "small.jsonl", [pair(i) for i in range(5)])))
    page.check()
    qtbot.waitUntil(lambda: wizard.state.training is not None, timeout=30_000)
    assert not page.isComplete() and "at least 10" in page.findings.text()
    assert not api_server.requests_to("POST", r"^/files$")


def test_settings_out_of_range_are_explained_inline(
    qtbot: QtBot, azure_api_server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    connect(azure_api_server)
    path = write_pairs(tmp_path / "ok.jsonl", [pair(i) for i in range(20)])
    wizard = make_wizard(qtbot, open_session(qtbot, path))
    qtbot.waitUntil(lambda: wizard.connection_page.model.count() > 0, timeout=20_000)
    for expected in (PAGE_METHOD, PAGE_TIER, PAGE_TRAINING):
        next_page(qtbot, wizard, expected)
    qtbot.waitUntil(lambda: wizard.state.training is not None, timeout=30_000)
    next_page(qtbot, wizard, PAGE_VALIDATION)
    next_page(qtbot, wizard, PAGE_SETTINGS)
    page = wizard.settings_page
    page.fields["beta"].setText("2.5")
    page.suffix.setText("way-too-long-suffix-x")  # 21 characters: Azure allows 18
    assert not page.isComplete()
    assert "above 0 and at most 2" in page.problems["beta"].text()
    assert page.suffix.text() == "way-too-long-suffi"  # the field itself stops at Azure's 18 characters
    page.suffix.setText("bad suffix!")
    assert "18 characters" in page.suffix_problem.text()
    page.suffix.setText("ok_suffix")
    page.fields["beta"].setText("2")
    page.fields["batch_size"].setText("0")
    assert "1 to 256" in page.problems["batch_size"].text() and not page.isComplete()
    page.fields["batch_size"].setText("")
    assert page.isComplete()


def test_interrupted_upload_resumes_and_refused_job_is_explained(
    qtbot: QtBot, server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    connect(server)
    path = write_pairs(tmp_path / "tone.jsonl", [pair(i, prompt=i // 2) for i in range(40)])
    wizard = make_wizard(qtbot, open_session(qtbot, path), MULTIPART)
    walk_to_review(qtbot, wizard, server)

    # A part fails on its try and its one retry (test_submission covers a failure after good parts);
    # then the job creation is refused.
    server.faults.add("POST", r"^/uploads/[^/]+/parts$", "status", times=2, status=500)
    server.faults.add("POST", r"^/fine_tuning/jobs$", "refuse_job")
    submit(qtbot, wizard)
    page = wizard.submit_page
    assert page.outcome is None
    assert "Upload the training file failed" in page.problem.text() and "Retry" in page.hint.text()
    assert page.retry_button.isVisibleTo(page)
    assert wizard.button(QWizard.WizardButton.BackButton).isEnabled()  # everything entered is kept
    creates = len(server.requests_to("POST", r"^/uploads$"))
    parts = len(server.requests_to("POST", r"^/uploads/[^/]+/parts$"))
    resume = page.submission.plan.training.resume  # type: ignore[union-attr]
    assert resume is not None and resume.upload_id  # the Upload is kept to continue
    confirmed = len(resume.part_ids)

    page.retry_button.click()
    qtbot.waitUntil(lambda: not page.running, timeout=30_000)
    settle(qtbot)
    assert page.outcome is None
    assert "Create the DPO job failed" in page.problem.text()
    if server.style == "openai":
        assert "winding down" in page.problem.text() and "Azure" in page.hint.text()
    else:
        assert "quota" in page.problem.text().lower()
    assert len(server.requests_to("POST", r"^/uploads$")) == creates + 1  # the training Upload continued
    training = page.submission.plan.training  # type: ignore[union-attr]
    validation = page.submission.plan.validation  # type: ignore[union-attr]
    expected_parts = (
        -(-len(training.upload.data) // 1000) - confirmed + -(-len(validation.upload.data) // 1000)
    )
    assert len(server.requests_to("POST", r"^/uploads/[^/]+/parts$")) - parts == expected_parts

    page.retry_button.click()
    qtbot.waitUntil(lambda: not page.running, timeout=30_000)
    assert page.outcome is not None
    assert len(server.requests_to("POST", r"^/uploads$")) == creates + 1  # nothing uploaded again
    assert provider_content(server, training.remote_id) == training.upload.data  # type: ignore[union-attr]


def provider_content(server: ApiServer, file_id: str) -> bytes:
    from dpo_studio.services.providers import open_provider

    profile = ConnectionStore().list()[0]
    return open_provider(profile, api_key=server.api_key, options=FAST).file_content(file_id)


def test_cancel_during_upload_reports_what_exists(
    qtbot: QtBot, server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    connect(server)
    path = write_pairs(tmp_path / "tone.jsonl", [pair(i, prompt=i // 2) for i in range(40)])
    wizard = make_wizard(qtbot, open_session(qtbot, path), MULTIPART)
    walk_to_review(qtbot, wizard, server)
    server.faults.add("POST", r"^/uploads/[^/]+/parts$", "slow", times=1000, delay=0.2)
    wizard.next()
    page = wizard.submit_page
    # Cancel while the second file (validation) is going up: the first one is done and must be reported.
    qtbot.waitUntil(
        lambda: (
            page.submission is not None
            and page.submission.last_step is Step.UPLOAD_VALIDATION
            and page.progress.value() >= 1000
        ),
        timeout=30_000,
    )
    assert page.cancel_button.isVisibleTo(page)
    if server.style == "openai":
        page.cancel_button.click()
    else:
        wizard.reject()  # closing the wizard (Cancel, Escape, the window's X) cancels the upload first
        assert wizard.isVisible()  # ... and stays open to say what exists at the service
    qtbot.waitUntil(lambda: not page.running, timeout=30_000)
    settle(qtbot)
    assert page.outcome is None and "Cancelled" in page.progress_text.text()
    on_server = {f.id for f in _files(server)}
    reported = {file_id for _name, file_id in page.submission.uploaded_files()}  # type: ignore[union-attr]
    assert on_server == reported
    assert all(file_id in page.progress_text.text() for file_id in reported)
    assert not server.requests_to("POST", r"^/fine_tuning/jobs$")
    assert server.requests_to("POST", r"^/uploads/[^/]+/cancel$")  # the unfinished Upload was cancelled
    server.faults.clear()
    assert len(reported) == 1  # the training file, done before the cancel
    assert page.delete_button.isVisibleTo(page)
    page.delete_button.click()
    settle(qtbot)
    assert not _files(server) and "Deleted" in page.progress_text.text()
    staging = page.submission.staging_dir  # type: ignore[union-attr]
    assert staging.exists()  # kept for a retry while the wizard is open
    wizard.reject()
    assert not wizard.isVisible() and not staging.exists()


def _files(server: ApiServer) -> list[object]:
    from dpo_studio.services.providers import open_provider

    profile = ConnectionStore().list()[0]
    return list(open_provider(profile, api_key=server.api_key, options=FAST).client.files.list())


def test_sft_then_dpo_pipeline_from_the_wizard(
    qtbot: QtBot, server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    connect(server)
    path = write_pairs(tmp_path / "tone.jsonl", [pair(i, prompt=i // 2) for i in range(40)])
    session = open_session(qtbot, path)
    tab = FineTuneTab(session, provider_options=FAST)
    qtbot.addWidget(tab)
    wizard = tab.new_dpo_job()
    settle(qtbot)
    walk_to_review(qtbot, wizard, server, sft_first=True, split=False)
    assert "Supervised job" in wizard.review_page.body.toPlainText()
    snippet = wizard.review_page.python_text()
    compile(snippet, "pipeline", "exec")
    assert "model=sft_job.fine_tuned_model" in snippet and '"type": "supervised"' in snippet
    submit(qtbot, wizard)
    page = wizard.submit_page
    assert page.outcome is not None and page.outcome.pipeline is not None, page.problem.text()
    (sft_request,) = server.requests_to("POST", r"^/fine_tuning/jobs$")
    assert sft_request.json["method"]["type"] == "supervised"
    sft_job = page.outcome.job.id
    assert history().provenance(sft_job) is not None

    # Still training: checking creates nothing. Once the server's clock finishes it, DPO starts from its
    # model.
    with qtbot.waitSignal(tab.pipelinesChecked, timeout=20_000):
        tab.check_pipelines()
    assert len(server.requests_to("POST", r"^/fine_tuning/jobs$")) == 1
    server.run_to_completion(sft_job)
    with qtbot.waitSignal(tab.pipelinesChecked, timeout=20_000):
        tab.check_pipelines()
    _, dpo_request = server.requests_to("POST", r"^/fine_tuning/jobs$")
    assert dpo_request.json["method"]["type"] == "dpo"
    assert dpo_request.json["model"] == server.job(sft_job)["fine_tuned_model"]
    assert dpo_request.json["method"]["dpo"]["hyperparameters"]["beta"] == 0.3
    assert not PipelineStore().waiting()
    assert "DPO job created" in tab.pipelines.item(0).text()
    (pipeline,) = PipelineStore().all()
    record = history().provenance(pipeline.dpo_job_id)
    assert record is not None and record.extra["sft_job_id"] == sft_job
    assert record.dataset_sha256 == sha256_of_bytes(path.read_bytes())

    # The supervised model is now one of the user's fine-tuned models a next job can start from.
    again = make_wizard(qtbot, session)
    qtbot.waitUntil(lambda: again.connection_page.model.count() > 0, timeout=20_000)
    combo = again.connection_page.model
    tuned = server.job(sft_job)["fine_tuned_model"]
    assert "your fine-tuned model" in combo.itemText(combo.findData(tuned))


def test_review_body_matches_the_provider_layer(
    qtbot: QtBot, azure_api_server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """The review page shows job_request_body of the request — the function create_dpo_job sends."""
    connect(azure_api_server)
    path = write_pairs(tmp_path / "tone.jsonl", [pair(i, prompt=i // 2) for i in range(40)])
    wizard = make_wizard(qtbot, open_session(qtbot, path))
    walk_to_review(qtbot, wizard, azure_api_server)
    expected = job_request_body(wizard.state.request(), traits_for(ProviderKind.AZURE_OPENAI))
    assert json.loads(wizard.review_page.body.toPlainText()) == expected
    assert expected["trainingType"] == "Standard"
    assert "training_file=training_upload.id" in wizard.review_page.python_text()
    assert "api-key: $AZURE_OPENAI_API_KEY" in wizard.review_page.curl_text()


def test_main_window_opens_the_wizard_and_jumps_to_the_run(
    qtbot: QtBot, api_server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    from dpo_studio.ui.main_window import MainWindow

    connection_id = connect(api_server)
    path = write_pairs(tmp_path / "tone.jsonl", [pair(i, prompt=i // 2) for i in range(40)])
    window = MainWindow()
    window.show()
    try:
        window.open_file(path)
        qtbot.waitUntil(lambda: len(window.session.document) == 40, timeout=20_000)
        assert [window.tabs.tabText(i) for i in range(window.tabs.count())][2:4] == ["Fine-tune", "Runs"]
        assert window.new_job_action in window.toolbar.actions()
        window.new_job_action.trigger()
        wizard = window.finetune_tab.wizard
        assert wizard is not None and wizard.isVisible()
        assert wizard.session is window.session  # the open dataset is the default training data
        assert window.tabs.currentWidget() is window.finetune_tab
        wizard.providers = type(wizard.providers)(None, FAST)
        settle(qtbot)
        walk_to_review(qtbot, wizard, api_server, split=False)
        assert wizard.state.training is not None and wizard.state.training.path == path
        submit(qtbot, wizard)
        assert wizard.submit_page.outcome is not None, wizard.submit_page.problem.text()
        job_id = wizard.submit_page.outcome.job.id
        wizard.accept()  # Finish: jump to the run
        assert window.tabs.currentWidget() is window.runs_tab
        qtbot.waitUntil(
            lambda: [r.key for r in window.runs_tab.selected_runs()] == [(connection_id, job_id)],
            timeout=20_000,
        )
    finally:
        task_runner().wait_all(10)
        window.session.close_document()
        window.close()
        window.deleteLater()


def test_validation_file_overlap_and_a_training_file_on_the_server(
    qtbot: QtBot, api_server: ApiServer, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    connect(api_server)
    profile = ConnectionStore().list()[0]
    provider = open_provider(profile, options=FAST)
    train_path = write_pairs(tmp_path / "train.jsonl", [pair(i) for i in range(20)])
    held_out = write_pairs(tmp_path / "held.jsonl", [pair(100 + i) for i in range(6)] + [pair(3), pair(4)])
    session = open_session(qtbot, train_path)
    wizard = make_wizard(qtbot, session)
    qtbot.waitUntil(lambda: wizard.connection_page.model.count() > 0, timeout=20_000)
    next_page(qtbot, wizard, PAGE_METHOD)
    next_page(qtbot, wizard, PAGE_TRAINING)
    qtbot.waitUntil(lambda: wizard.state.training is not None, timeout=30_000)
    next_page(qtbot, wizard, PAGE_VALIDATION)
    page = wizard.validation_page
    page.file.setChecked(True)
    page.path.setText(str(held_out))
    page.path.editingFinished.emit()
    qtbot.waitUntil(lambda: wizard.state.validation is not None, timeout=30_000)
    settle(qtbot)
    assert "2 training pair(s) share a prompt" in page.summary.text()
    assert "measure memory" in page.warning.text() and not page.problem.isVisibleTo(page)
    assert page.isComplete()  # a warning: explained, not blocking

    # Back on the training page: a file already at the service (listed there) replaces local data.
    remote = provider.upload_training_file(train_path)
    wizard.back()
    settle(qtbot)
    training = wizard.training_page
    training.remote_choice.setChecked(True)
    settle(qtbot)
    qtbot.waitUntil(lambda: training.remote.count() > 0, timeout=20_000)
    assert wizard.state.training_remote is not None and wizard.state.training_remote.id == remote.id
    assert training.isComplete() and "cannot be checked" in training.summary.text()
    next_page(qtbot, wizard, PAGE_VALIDATION)
    assert not page.split.isEnabled()  # nothing local to split
    page.none.setChecked(True)
    next_page(qtbot, wizard, PAGE_SETTINGS)
    next_page(qtbot, wizard, PAGE_REVIEW)
    assert json.loads(wizard.review_page.body.toPlainText())["training_file"] == remote.id
    assert "cannot be counted" in wizard.review_page.cost.text()
    submit(qtbot, wizard)
    assert wizard.submit_page.outcome is not None, wizard.submit_page.problem.text()
    assert len(api_server.requests_to("POST", r"^/files$")) == 1  # the server's own file was not sent again
    (sent,) = api_server.requests_to("POST", r"^/fine_tuning/jobs$")
    assert sent.json["training_file"] == remote.id


def test_wizard_screens_render(tmp_path: Path) -> None:
    """The wizard's screenshots render (offscreen here; Xvfb for the pictures people look at)."""
    from PySide6.QtGui import QImage

    from tests.screenshot_command import run_screenshot_command

    names = ["wizard-review", "wizard-training-errors"]
    result = run_screenshot_command(str(tmp_path), "--only", *names, theme="light")
    assert result.returncode == 0, result.stderr
    for name in names:
        image = QImage(str(tmp_path / f"{name}-light.png"))
        assert not image.isNull() and image.width() >= 600 and image.height() >= 400  # capped to the screen
