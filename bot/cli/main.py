"""`lawbot` command line: serve, chat, ask, doctor, index, eval, kb, staff, places, bulletin, db, purge."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.bulletin import bulletin_app
from bot.cli.db import db_app, purge_command
from bot.cli.eval_chat import eval_chat
from bot.cli.index import UNUSABLE_INDEX, eval_retrieval, index_app
from bot.cli.kb import kb_app
from bot.cli.places import places_app
from bot.cli.serve import serve
from bot.cli.staff import staff_app
from bot.cli.train import train_app

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="lawbot: Vietnamese legal Q&A assistant for Zalo and Telegram.")


@app.callback()
def _options(
    env_file: Annotated[Path | None, typer.Option(
        "--env-file", help="Read LAWBOT_* settings from this file (the environment still wins), "
        "e.g. /etc/lawbot/lawbot.env.")] = None,
) -> None:
    if env_file is None:
        return
    from dotenv import dotenv_values

    if not env_file.is_file():
        typer.echo(f"Error: no settings file {env_file}", err=True)
        raise typer.Exit(2)
    # the same parser pydantic-settings uses for .env: comments, quotes and spaces in values are fine
    for key, value in dotenv_values(env_file).items():
        if value is not None:
            os.environ.setdefault(key, value)


@app.command()
def doctor() -> None:
    """Check settings, database, index, tokens (getMe) and webhooks, and say what to fix."""
    from bot.cli.doctor import FAIL, run_doctor
    from bot.settings import Settings

    findings = run_doctor(Settings())
    for finding in findings:
        typer.echo(finding.line())
    failed = sum(f.level == FAIL for f in findings)
    typer.echo(f"{failed} problem(s) to fix" if failed else "Ready to serve.")
    if failed:
        raise typer.Exit(1)

app.command("serve")(serve)
app.add_typer(index_app, name="index")
app.add_typer(kb_app, name="kb", help="Knowledge base: import, export, check.")
app.add_typer(staff_app, name="staff")
app.add_typer(places_app, name="places")
app.add_typer(db_app, name="db")
app.add_typer(train_app, name="train", help="Refit the understanding models (triage, FAQ matching).")
app.command("purge")(purge_command)
app.add_typer(bulletin_app, name="bulletin")

eval_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Measure the assistant on labelled data.")
eval_app.command("retrieval")(eval_retrieval)
eval_app.command("chat")(eval_chat)
app.add_typer(eval_app, name="eval")

# A terminal has no hard limit; this keeps answers as short as on Telegram.
CLI_MAX_CHARS = 4096


def _assistant(echo: Any, *, open_tickets: bool = False) -> Any:
    """The same Assistant the bots use: CURRENT index (the default one is built if there is none),
    the FAQ, the configured writer and the SQL stores of LAWBOT_DATABASE_URL. Terminal conversations
    are kept out of the statistics, and open tickets only when asked (`--open-tickets`)."""
    from bot.compose import index_engine
    from bot.runtime.default_index import ensure_index
    from bot.runtime.logsafe import quiet_token_loggers, setup_logging
    from bot.settings import Settings
    from bot.storage.db import Database
    from bot.storage.outbox import Outbox

    settings = Settings()
    setup_logging("WARNING", secrets=[])
    quiet_token_loggers()
    ensure_index(settings, echo=echo)
    database = Database(settings.database_url)
    database.migrate()
    try:
        return index_engine(settings, database, Outbox(database), open_tickets=open_tickets)(None).value
    except UNUSABLE_INDEX as exc:
        typer.echo(f"Error: no usable index in {settings.index_dir}: {exc}", err=True)
        raise typer.Exit(1) from None


def _message(text: str, user_id: str) -> Any:
    from bot.core.models import Channel, IncomingMessage

    return IncomingMessage(Channel.CLI, user_id, user_id, text, uuid.uuid4().hex)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, as a citizen would type it.")],
    json_: Annotated[bool, typer.Option("--json", help="Print the reply as one JSON object.")] = False,
    user: Annotated[str | None, typer.Option(
        help="Conversation id: give the same one to ask a follow-up (default: a fresh conversation).")] = None,
    open_tickets: Annotated[bool, typer.Option(
        "--open-tickets", help="Escalations open real tickets in the staff queue.")] = False,
) -> None:
    """Answer one question with the same service as the bots."""
    assistant = _assistant(lambda line: typer.echo(line, err=True), open_tickets=open_tickets)
    # a fresh conversation each run: an earlier question must not change this answer
    reply = assistant.handle(_message(question, user or f"cli-ask-{uuid.uuid4().hex[:12]}"), CLI_MAX_CHARS)
    if json_:
        typer.echo(json.dumps(reply.to_dict(), ensure_ascii=False))
    else:
        typer.echo(reply.text)


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="Conversation id kept in the database.")] = "cli-chat",
    open_tickets: Annotated[bool, typer.Option(
        "--open-tickets", help="Escalations open real tickets in the staff queue.")] = False,
) -> None:
    """Chat in the terminal with the same service as the bots (/thoat, Ctrl-D or Ctrl-C quits)."""
    from bot.channels.texts import CLI_INTRO, CLI_QUIT
    from bot.core.models import Channel

    assistant = _assistant(typer.echo, open_tickets=open_tickets)
    typer.echo(CLI_INTRO)
    reply = None
    while True:
        try:
            text = input("> " if sys.stdin.isatty() else "")
        except (EOFError, KeyboardInterrupt):
            break
        if not text.strip():
            continue  # a stray Enter (or a line of spaces) is not a way out
        if text.strip().casefold() in CLI_QUIT:
            break
        choice = _button_choice(text, reply)
        if choice is not None:
            reply = assistant.handle_button(Channel.CLI, user, user, choice, CLI_MAX_CHARS)
        else:
            reply = assistant.handle(_message(text, user), CLI_MAX_CHARS)
        typer.echo(reply.text)
        for i, button in enumerate(reply.buttons, 1):
            typer.echo(f"  [{i}] {button.label}")
        if reply.buttons:
            typer.echo("  (gõ số để chọn)")


def _button_choice(text: str, reply: Any) -> Any:
    """'2' picks the second button of the last reply; anything else is a message."""
    if reply is None or not text.strip().isdigit():
        return None
    n = int(text.strip())
    return reply.buttons[n - 1].action if 1 <= n <= len(reply.buttons) else None


if __name__ == "__main__":
    app()
