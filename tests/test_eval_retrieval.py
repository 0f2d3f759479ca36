"""`lawbot index build|status` and `lawbot eval retrieval` through the CLI on a small ALQAC subset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from retrieval.eval import METRIC_KEYS, evaluate, load_questions, question_from_record

runner = CliRunner()


@pytest.fixture(scope="module")
def alqac_index(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An index of the ALQAC 2022 corpus built through the CLI, and 40 of its dev questions."""
    tmp = tmp_path_factory.mktemp("eval")
    out = tmp / "index"
    result = runner.invoke(
        app,
        [
            "index",
            "build",
            "--source",
            str(shared_data / "alqac" / "corpus_alqac_2022.jsonl"),
            "--out",
            str(out),
            "--no-dense",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Imported 1377 articles" in result.output
    lines = [
        line
        for line in (shared_data / "alqac" / "questions_dev.jsonl").read_text("utf-8").splitlines()
        if json.loads(line)["corpus"] == "alqac_2022"
    ][:40]
    questions = tmp / "questions.jsonl"
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out, questions


def test_eval_json_last_line_has_exactly_the_metric_keys(alqac_index: tuple[Path, Path]) -> None:
    out, questions = alqac_index
    result = runner.invoke(
        app, ["eval", "retrieval", "--index", str(out), "--questions", str(questions), "--json"]
    )
    assert result.exit_code == 0, result.output
    last = json.loads(result.output.strip().splitlines()[-1])
    assert list(last) == ["n", "R@1", "R@5", "R@10", "MRR@10", "p50_ms", "p95_ms"]
    assert last["n"] == 40
    assert 0 <= last["R@1"] <= last["R@5"] <= last["R@10"] <= 1
    assert last["MRR@10"] > 0.6  # BM25 finds most ALQAC 2022 gold articles
    assert last["p95_ms"] >= last["p50_ms"] > 0


def test_eval_without_diacritics_and_plain_output(alqac_index: tuple[Path, Path]) -> None:
    out, questions = alqac_index
    result = runner.invoke(
        app,
        ["eval", "retrieval", "--index", str(out), "--questions", str(questions), "--unaccented"],
    )
    assert result.exit_code == 0, result.output
    assert "unaccented" in result.output and "MRR@10" in result.output
    assert not result.output.strip().splitlines()[-1].startswith("{")


def test_index_status_shows_the_current_build(alqac_index: tuple[Path, Path]) -> None:
    out, _ = alqac_index
    result = runner.invoke(app, ["index", "status", str(out)])
    assert result.exit_code == 0, result.output
    build_id = (out / "CURRENT").read_text().strip()
    assert f"CURRENT: {build_id}" in result.output
    assert "alqac_2022: 1377" in result.output and "BM25 only" in result.output


def test_status_of_a_missing_index_fails_clearly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", "status", str(tmp_path)])
    assert result.exit_code == 1
    assert "CURRENT" in result.output


def test_eval_commands_report_a_wrong_path_without_a_traceback(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    record = {"qid": "a", "question": "Q?", "phapdien_gold_ids": ["1.1.LQ.1"], "phapdien_mapping": "full"}
    questions.write_text(json.dumps(record) + "\n", "utf-8")
    cases = [
        (["retrieval", "--index", str(tmp_path), "--questions", str(tmp_path / "nope.jsonl")], "does not exist"),
        (["retrieval", "--index", str(tmp_path), "--questions", str(tmp_path)], "is a directory"),
        (["retrieval", "--index", str(tmp_path / "none"), "--questions", str(questions)], "No usable index"),
        (["chat", "--cases", str(tmp_path / "nope.jsonl")], "does not exist"),
        (["chat", "--cases", str(questions), "--index", str(tmp_path / "none")], "No usable index"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["eval", *args])
        assert result.exit_code != 0, args
        flat = " ".join(result.output.replace("│", " ").split())  # typer boxes wrap long paths
        assert message in flat, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)  # no traceback


def test_question_files_are_filtered_to_usable_labels() -> None:
    zalo = {
        "qid": "a",
        "question": "Q?",
        "phapdien_gold_ids": ["1.1.LQ.1"],
        "phapdien_mapping": "full",
    }
    assert question_from_record(zalo).gold == ("1.1.LQ.1",)
    assert question_from_record({**zalo, "phapdien_mapping": "partial"}) is None
    assert (
        question_from_record({"id": "c1", "kind": "escalate", "text": "x", "gold_ids": []}) is None
    )
    case = question_from_record(
        {"id": "c2", "kind": "answer", "text": "Hỏi?", "gold_ids": ["31/2024/QH15::45"]}
    )
    assert case.gold == ("31/2024/QH15::45",)
    statement = question_from_record(
        {"qid": "s", "statement": "Người xem", "gold_doc_ids": ["L::1"]}
    )
    assert statement.text == "Người xem"


def test_zalo_dev_file_keeps_only_fully_mapped_questions(shared_data: Path) -> None:
    assert len(load_questions(shared_data / "zalo_ltr_2021" / "questions_dev.jsonl")) == 277
    assert len(load_questions(shared_data / "alqac" / "questions_dev.jsonl")) == 376


def test_metrics_count_ranks_and_copies() -> None:
    questions = [
        question_from_record({"qid": str(i), "question": "q", "gold_doc_ids": [g]})
        for i, g in enumerate(["a", "b", "c"])
    ]
    ranked = {"a": ["a"], "b": ["x", ("y", "b")], "c": ["x"]}  # "b" is found as a copy of "y"
    it = iter(["a", "b", "c"])

    def search(_: str, __: int) -> list:
        return ranked[next(it)]

    m = evaluate(search, questions)
    assert m["R@1"] == round(1 / 3, 4) and m["R@5"] == round(2 / 3, 4)
    assert m["MRR@10"] == round((1 + 1 / 2) / 3, 4)
    assert set(m) == set(METRIC_KEYS)
