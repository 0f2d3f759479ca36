"""`lawbot bulletin`: send a bulletin to the subscribers of a topic (and commune) from a script, as the desk does."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

bulletin_app = typer.Typer(add_completion=False, no_args_is_help=True,
                           help="Bulletins to subscribers (/dangky): send, status.")


def _split(text: str, title: str | None) -> tuple[str, str]:
    """Title and body: `--title`, or else the file's first non-empty line."""
    text = text.replace("\r\n", "\n").strip()
    if title:
        return " ".join(title.split()), text
    head, _, rest = text.partition("\n")
    return " ".join(head.split()), rest.strip()


def _key(draft: Any) -> str:
    """The same command on the same file is the same bulletin: a rerun queues only whom it missed."""
    from bot.core.subscriptions import commune_key

    ident = {
        "title": draft.title, "body": draft.body, "topics": sorted(draft.topics),
        "commune": commune_key(draft.commune) if draft.commune else None,
        "channels": sorted(draft.channels), "citation": draft.citation,
    }
    return "cli:" + hashlib.sha256(json.dumps(ident, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:40]


@bulletin_app.command("send")
def send(
    topic: Annotated[list[str], typer.Option("--topic", help="FAQ topic slug (a file name in the FAQ folder, "
                                             "e.g. lao-dong); repeat for several.")],
    text_file: Annotated[Path, typer.Option("--text-file", help="UTF-8 text: the first line is the title "
                                            "unless --title is given.", exists=True, dir_okay=False)],
    commune: Annotated[str | None, typer.Option(help="Only subscribers who gave this commune (name or code, "
                                                "compared without accents or case).")] = None,
    title: Annotated[str | None, typer.Option(help="Title (default: the file's first line).")] = None,
    cite: Annotated[str | None, typer.Option(help="Legal basis: an article id of the index, e.g. 45/2019/QH14::113.")] = None,
    clause: Annotated[str | None, typer.Option(help="Clause (khoản) of the cited article.")] = None,
    channel: Annotated[list[str] | None, typer.Option("--channel", help="telegram or zalo (default: both).")] = None,
    key: Annotated[str | None, typer.Option(help="Idempotency key (default: derived from the content, so a "
                                            "rerun never sends twice).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the message per channel and how many "
                                          "subscribers it reaches; queue nothing.")] = False,
) -> None:
    """Queue a bulletin for every matching subscriber once; the running server's outbox delivers it."""
    from bot.channels.preview import fits, preview
    from bot.compose import article_lookup, subscription_topics
    from bot.desk.routes_bulletins import check_draft, resolve_citation, too_long_message
    from bot.settings import Settings
    from bot.storage.bulletins import BULLETIN_CHANNELS, BulletinDraft, BulletinStore, TooLong
    from bot.storage.db import Database
    from bot.storage.outbox import Outbox

    settings = Settings()
    channels = tuple(channel or BULLETIN_CHANNELS)
    bad = [c for c in channels if c not in BULLETIN_CHANNELS]
    if bad:
        raise typer.BadParameter(f"unknown channel {', '.join(bad)} (telegram, zalo)", param_hint="--channel")
    try:
        raw = text_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        typer.echo(f"Error: {text_file} is not UTF-8 text", err=True)
        raise typer.Exit(2) from None
    head, body = _split(raw, title)
    citation = None
    if cite:
        try:
            citation = resolve_citation(article_lookup(settings), cite.strip(), (clause or "").strip())
        except (OSError, ValueError) as exc:
            typer.echo(f"Error: cannot read the index in {settings.index_dir} to check --cite: {exc}", err=True)
            raise typer.Exit(1) from None
    draft = BulletinDraft(head, body, tuple(dict.fromkeys(topic)), " ".join((commune or "").split()) or None,
                          channels, citation)
    topics = subscription_topics(settings)()
    problems = check_draft(draft, topics, article_id=(cite or "").strip(), clause=(clause or "").strip())
    if problems:
        for problem in problems:
            typer.echo(f"Error: {problem}", err=True)
        if any(t not in {k.slug for k in topics} for t in draft.topics):
            typer.echo("Topics: " + ", ".join(t.slug for t in topics), err=True)
        raise typer.Exit(2)
    previews = [preview(c, draft.text) for c in draft.channels]
    over = [p for p in previews if not p.fits]
    if over:  # before anything is written
        for p in over:
            typer.echo("Error: " + too_long_message(TooLong(p.channel, p.length, p.limit)), err=True)
        raise typer.Exit(1)

    database = Database(settings.database_url)
    try:
        database.migrate()
        store = BulletinStore(database)
        reach = store.recipient_counts(draft)
        if dry_run:
            for p in previews:
                typer.echo(f"--- {p.channel} ({p.length}/{p.limit} characters)\n{p.text}")
            typer.echo(f"would reach {sum(reach.values())} subscriber(s): "
                       + ", ".join(f"{c} {n}" for c, n in reach.items()))
            return
        bulletin_id = store.create(draft, key=key or _key(draft))
        try:
            added = store.queue(bulletin_id, Outbox(database), fits)
        except TooLong as exc:
            typer.echo("Error: " + too_long_message(exc), err=True)
            raise typer.Exit(1) from None
        view = store.get(bulletin_id)
        total = view.recipients if view is not None else added
    finally:
        database.dispose()
    typer.echo(f"bulletin #{bulletin_id}: queued {added} new recipient(s); {total} in all "
               f"(a rerun adds only subscribers not queued yet)")


@bulletin_app.command("status")
def status(bulletin_id: Annotated[int, typer.Argument(help="Bulletin number (shown by send and in the desk).")]) -> None:
    """Delivery counts of a bulletin: queued, sent, failed, cancelled."""
    from bot.settings import Settings
    from bot.storage.bulletins import BulletinStore
    from bot.storage.db import Database

    database = Database(Settings().database_url)
    try:
        view = BulletinStore(database).get(bulletin_id)
    finally:
        database.dispose()
    if view is None:
        typer.echo(f"Error: no bulletin #{bulletin_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"bulletin #{view.id} ({view.status}): " + ", ".join(f"{k} {v}" for k, v in view.counts.items()))
