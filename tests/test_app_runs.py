"""A run as the Extract and History pages tell it (AppTest, real filings): the headline counts every file, a
fallback of the LLM is said, a re-run's live trace keeps each file's steps in its own box, a scan's trace does not
contradict itself, the downloads are where the run ends, History marks re-runs and keeps a cached file's trace,
and the LLM setting checks its endpoint on user action only."""

from __future__ import annotations

import socket

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Node, Status

from agent.documents import ocr
from tests.conftest import ROOT, SAMPLES, filing_path
from tests.fake_openai import FakeOpenAI
from tests.test_app import texts

WORKSPACE = "b" * 32
BROKEN_PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF truncated"
KEY = "sk-test-0123456789abcdefghij"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADETRACE_DATA_DIR", str(tmp_path))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    test.query_params["w"] = WORKSPACE
    return test


def click(app: AppTest, label: str) -> AppTest:
    return next(button for button in app.button if button.label == label).click().run()


def upload_and_run(app: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    app.file_uploader[0].set_value([(name, data, "application/pdf") for name, data in files])
    app.run()
    return click(app, "Run extraction")


def sample(name: str) -> tuple[str, bytes]:
    return name, (SAMPLES / name).read_bytes()


def real(docid: str) -> tuple[str, bytes]:
    return f"{docid}.pdf", filing_path(docid).read_bytes()


def history_table(app: AppTest) -> list[dict[str, object]]:
    app.switch_page("pages/history_page.py").run()
    assert not app.exception
    return app.dataframe[0].value.to_dict("records")


def closed_port_url() -> str:
    """An endpoint where nothing listens: the LLM endpoint down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_headline_counts_and_names_a_failed_file_and_history_says_it_failed(app):
    app.run()
    upload_and_run(app, [("broken.pdf", BROKEN_PDF), sample("sample_ptr_2024_a.pdf"), sample("sample_ptr_2024_b.pdf")])
    assert not app.exception
    assert not app.success  # a failed file is no green run
    assert [warning.value for warning in app.warning] == [
        "Read 3 file(s): 15 transaction(s), 0 flagged for review; 1 failed (broken.pdf)."]
    (run,) = history_table(app)
    assert run["status"] == "completed, 1 file failed"


def test_a_clean_run_is_green_and_every_file_is_named(app):
    app.run()
    click(app, "Try the sample filings")
    assert [success.value for success in app.success] == ["Read 4 file(s): 37 transaction(s), 0 flagged for review."]
    app.run()  # the finished run shown again: same headline, each file's line under it
    assert [success.value for success in app.success] == ["Read 4 file(s): 37 transaction(s), 0 flagged for review."]
    assert "- sample_efd_2024.html (" in texts(app)


def test_llm_endpoint_down_is_said_in_the_headline_and_history_lists_the_brain_that_ran(app):
    app.session_state["llm_use"] = True
    app.session_state["llm_base_url"] = closed_port_url()
    app.session_state["llm_model"] = "fake-model"
    app.session_state["llm_api_key"] = KEY
    app.run()
    upload_and_run(app, [sample("sample_ptr_2024_a.pdf")])
    assert not app.exception
    (headline,) = [warning.value for warning in app.warning]
    assert headline.startswith("Read 1 file(s): 3 transaction(s), 0 flagged for review; the LLM brain fell back to "
                               "the offline brain, which finished the run (LLM endpoint")
    assert "Connection error" in headline
    (run,) = history_table(app)
    assert str(run["brain"]).startswith("offline (LLM fell back: LLM endpoint")
    assert KEY not in texts(app)


# --- the live trace -----------------------------------------------------------------------------------------

def block_kind(node: Node | None) -> str | None:
    return node.type if isinstance(node, Block) else None


def shown_texts(new: Node, old: Node | None) -> list[str]:
    """The Markdown the browser shows under `new` while the script run that draws it goes on, `old` being what the
    previous run drew at that place. Streamlit's frontend (AppRoot.addBlock) gives a block the children of the
    block it replaces when both are of one type, and drops the children the new run did not draw only when the run
    ends: until then they show under the new ones."""
    if not isinstance(new, Block):
        return [str(new.value)] if new.type == "markdown" else []
    inherited = old.children if isinstance(old, Block) and block_kind(old) == block_kind(new) else {}
    texts = []
    for index in sorted(set(new.children) | set(inherited)):
        if index in new.children:
            texts += shown_texts(new.children[index], inherited.get(index))
        else:
            texts += shown_texts(inherited[index], None)
    return texts


def boxes_as_shown(new: Block, old: Block | None) -> list[tuple[str, str]]:
    """Each file box of the new run: (its label, the Markdown shown in it during the run)."""
    found = []
    inherited = old.children if isinstance(old, Block) and block_kind(old) == block_kind(new) else {}
    for index, child in new.children.items():
        previous = inherited.get(index)
        if isinstance(child, Status):
            found.append((child.label.replace("\\", ""), "\n".join(shown_texts(child, previous))))
        elif isinstance(child, Block):
            found += boxes_as_shown(child, previous if isinstance(previous, Block) else None)
    return found


def test_a_rerun_keeps_each_files_steps_in_its_own_box(app):
    app.run()
    click(app, "Try the sample filings")
    app.run()  # the finished run, as the page shows it afterwards: its four boxes below the summary
    before = app.main
    # Six files: the last three boxes land where the finished run drew its first three, and hold fewer steps (the
    # samples' bytes are served from the cache), so the earlier boxes' lines would show below theirs.
    files = [real("20016961"), real("20016155"), real("20016726"), sample("sample_ptr_2024_c.pdf"),
             sample("sample_ptr_2024_b.pdf"), sample("sample_ptr_2024_a.pdf")]
    upload_and_run(app, files)
    assert not app.exception
    boxes = boxes_as_shown(app.main, before)
    names = [name for name, _ in files] + ["sample_efd_2024.html"]
    assert [label.split(":")[0] for label, _ in boxes] == names[:6]
    for label, shown in boxes:
        own, plain = label.split(":")[0], shown.replace("\\", "")  # names are Markdown-escaped in the source
        assert f"/6: {own}" in plain  # its own "File k/6: name" line
        others = [name for name in names if name != own and name in plain]
        assert not others, f"the box of {own} shows steps of {others}"
    (progress,) = app.get("progress")
    assert (progress.proto.value, progress.proto.text) == (100, "6 of 6 file(s) done")


# --- a scanned filing's trace -------------------------------------------------------------------------------

def test_scanned_trace_is_consistent_and_flags_look_different(app):
    if not ocr.available():
        pytest.skip(ocr.MISSING_MESSAGE)
    app.session_state["ocr_use"] = True
    app.run()
    upload_and_run(app, [real("8220661"), sample("sample_ptr_2024_a.pdf")])  # McCaul's scanned PTR, 3 pages
    assert not app.exception
    labels = [status.label.replace("\\", "") for status in app.status]
    assert labels[0].startswith("⚠️ 8220661.pdf: flagged, ") and labels[1].startswith("sample_ptr_2024_a.pdf: ok")
    scan = "\n".join(str(markdown.value) for markdown in app.status[0].markdown)
    assert "printed date pair" not in scan.replace("no text layer to count printed date pairs in", "")
    assert "matching the" not in scan
    flagged_checks = [line for line in scan.split("\n\n") if "FLAGGED" in line]
    assert flagged_checks and all(line.startswith("🚩") for line in flagged_checks)
    assert all("FLAGGED" not in line for line in scan.split("\n\n") if line.startswith("✅"))


# --- downloads, re-runs and the cache ----------------------------------------------------------------------

def download_labels(app: AppTest) -> list[str]:
    return [button.label for button in app.get("download_button")]


def test_downloads_on_extract_after_a_run_and_the_report_on_history(app):
    app.run()
    assert download_labels(app) == []
    upload_and_run(app, [sample("sample_ptr_2024_a.pdf")])
    expected = ["Download CSV", "Download report (Markdown)", "Download trace (JSON Lines)"]
    assert download_labels(app) == expected
    app.run()
    assert download_labels(app) == expected  # still there on the finished run's view
    history_table(app)
    assert download_labels(app) == expected


def test_history_marks_a_rerun_and_a_cached_file_keeps_the_trace_that_read_it(app, tmp_path):
    from agent.store.runs import RunStore

    app.run()
    upload_and_run(app, [sample("sample_ptr_2024_a.pdf")])
    upload_and_run(app, [sample("sample_ptr_2024_a.pdf")])  # the same bytes again: served from the cache
    newer, first = history_table(app)
    assert first["re-run"] == "" and str(newer["re-run"]).startswith("re-run of ")
    assert "A re-run of the run of" in texts(app)  # the newest run is selected
    store = RunStore(tmp_path / "history.sqlite3")
    runs = store.list_runs(WORKSPACE)
    cached = store.load_events(WORKSPACE, runs[0].id)
    read = store.load_events(WORKSPACE, runs[1].id)
    (replay,) = [event for event in cached if event.type == "cached_trace"]
    assert [event.to_dict() for event in replay.replayed] == [
        event.to_dict() for event in read if event.file == "sample_ptr_2024_a.pdf" and event.type != "file_finished"]
    assert not [event for event in cached if event.type == "tool_call"]  # this run called no tool: it says so


# --- the endpoint check -------------------------------------------------------------------------------------

def sidebar_captions(app: AppTest) -> str:
    return "\n".join(str(caption.value) for caption in app.sidebar.caption)


def test_endpoint_check_runs_when_the_endpoint_is_set_and_not_on_every_rerun(app):
    app.session_state["llm_use"] = True
    app.session_state["llm_api_key"] = KEY
    app.run()
    assert "Endpoint not checked yet." in sidebar_captions(app)
    with FakeOpenAI() as server:
        app.sidebar.text_input(key="llm_model").input("fake-model").run()
        app.sidebar.text_input(key="llm_base_url").input(server.base_url).run()
        assert "✅ The endpoint answers: 1 model(s), lists fake-model." in sidebar_captions(app)
    app.run()  # the server is gone: a rerun that called it again would say so
    app.run()
    assert "✅ The endpoint answers: 1 model(s), lists fake-model." in sidebar_captions(app)
    next(button for button in app.sidebar.button if button.label == "Check the endpoint").click().run()
    assert "❌ The endpoint does not answer: cannot connect" in sidebar_captions(app)
    assert KEY not in texts(app)
