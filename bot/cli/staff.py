"""`lawbot staff`: staff desk accounts (add, list, deactivate) from the command line."""

from __future__ import annotations

import sys

import typer

staff_app = typer.Typer(add_completion=False, help="Staff desk accounts.", no_args_is_help=True)


def _stores():  # type: ignore[no-untyped-def]
    from bot.desk.auth import Passwords
    from bot.settings import Settings
    from bot.storage.db import Database
    from bot.storage.staff import StaffStore

    db = Database(Settings().database_url)
    db.migrate()  # a first `staff add` may come before the first `serve`
    return db, StaffStore(db), Passwords()


@staff_app.command("add")
def add(
    email: str = typer.Argument(..., help="Login email of the new account."),
    role: str = typer.Option("staff", "--role", help="staff (handles tickets) or admin (also accounts, FAQ)."),
    name: str | None = typer.Option(None, "--name", help="Name shown in the desk."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin (for scripts)."
    ),
) -> None:
    """Create a staff account; the password is asked twice (never given on the command line)."""
    from bot.storage.staff import ROLES, StaffExists

    if role not in ROLES:
        raise typer.BadParameter(f"role must be one of: {', '.join(ROLES)}", param_hint="--role")
    if "@" not in email or len(email) > 255:
        raise typer.BadParameter("not an email address", param_hint="EMAIL")
    password = _read_password(password_stdin, "Password")
    db, store, passwords = _stores()
    try:
        account = store.create(email, passwords.hash(password), role, name)
    except StaffExists:
        typer.echo(f"error: an account for {email.strip().lower()} already exists", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    store.audit(None, "staff_add", account.email, {"role": role, "via": "cli"})
    typer.echo(f"added {account.email} ({account.role})")


@staff_app.command("list")
def list_accounts() -> None:
    """Show every account with its role and state."""
    db, store, _ = _stores()
    try:
        accounts = store.list()
    finally:
        db.dispose()
    if not accounts:
        typer.echo("no staff accounts yet: lawbot staff add EMAIL --role admin")
        return
    for a in accounts:
        state = "active" if a.active else "deactivated"
        last = a.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if a.last_login_at else "never"
        typer.echo(f"{a.email:<40} {a.role:<6} {state:<12} last login: {last}")


@staff_app.command("deactivate")
def deactivate(email: str = typer.Argument(..., help="Email of the account to deactivate.")) -> None:
    """Block an account at once (its open sessions end on their next request)."""
    db, store, _ = _stores()
    try:
        account = store.get_by_email(email)
        if account is None:
            typer.echo(f"error: no account for {email}", err=True)
            raise typer.Exit(1)
        store.update(account.id, active=False)
        store.audit(None, "staff_deactivate", account.email, {"via": "cli"})
    finally:
        db.dispose()
    typer.echo(f"deactivated {account.email}")


@staff_app.command("passwd")
def passwd(
    email: str = typer.Argument(..., help="Email of the account."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
) -> None:
    """Set a new password (and re-activate the account); its open sessions end."""

    password = _read_password(password_stdin, "New password")
    db, store, passwords = _stores()
    try:
        account = store.get_by_email(email)
        if account is None:
            typer.echo(f"error: no account for {email}", err=True)
            raise typer.Exit(1)
        store.update(account.id, password_hash=passwords.hash(password), active=True)
        store.audit(None, "staff_password", account.email, {"via": "cli"})
    finally:
        db.dispose()
    typer.echo(f"password changed for {account.email}")


def _read_password(from_stdin: bool, prompt: str) -> str:
    """A password from stdin (scripts) or typed twice; exit 2 when it is too weak."""
    from bot.desk.auth import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2)
    return password
