"""`lawbot` command line (minimal: index and eval; the lead extends it)."""

from __future__ import annotations

import typer

from bot.cli_retrieval import eval_retrieval, index_app

app = typer.Typer(add_completion=False, help="lawbot: Vietnamese legal Q&A assistant.")
app.add_typer(index_app, name="index")

eval_app = typer.Typer(add_completion=False, help="Measure the assistant on labelled data.")
eval_app.command("retrieval")(eval_retrieval)
app.add_typer(eval_app, name="eval")


if __name__ == "__main__":
    app()
