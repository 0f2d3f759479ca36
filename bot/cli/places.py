"""`lawbot places`: the register of communes and service points (import and export CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

places_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Communes and service points (legal aid, justice officers, mediation groups).")


def _register():  # type: ignore[no-untyped-def]
    from bot.settings import Settings
    from bot.storage.db import Database
    from bot.storage.places import PlaceRegister

    db = Database(Settings().database_url)
    db.migrate()  # the register may be loaded before the first `serve`
    return db, PlaceRegister(db)


@places_app.command("import")
def import_places(
    file: Annotated[Path, typer.Argument(
        exists=True, dir_okay=False, readable=True,
        help="A communes list (ma_xa,ten_xa,ma_tinh,ten_tinh,ten_cu) or a service-point list "
             "(ma_diem,loai,ten,dia_chi,dien_thoai,gio_lam_viec,ma_tinh,ten_tinh,ma_xa,ten_xa).")],
) -> None:
    """Load a CSV; any problem is reported by line and nothing is written. Importing again is safe."""
    from bot.storage.places import ImportProblems

    db, register = _register()
    try:
        result = register.import_csv(file.read_bytes())
    except ImportProblems as exc:
        for problem in exc.problems:
            typer.echo(f"{file}: {problem}", err=True)
        typer.echo(f"{len(exc.problems)} problem(s); nothing was imported.", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    line = (f"{result.kind}: {result.rows} rows, {result.created} new, {result.updated} changed, "
            f"{result.unchanged} unchanged")
    if result.kind == "points":
        line += f", {result.deactivated} no longer listed (deactivated)"
    typer.echo(line)


@places_app.command("export")
def export_places(
    communes: Annotated[bool, typer.Option("--communes", help="Export the communes list instead of the points.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output).")] = None,
) -> None:
    """Write the register as CSV, in the format `import` reads."""
    db, register = _register()
    try:
        body = register.export_csv("communes" if communes else "points")
    finally:
        db.dispose()
    if out is None:
        typer.echo(body, nl=False)
    else:
        out.write_text(body, encoding="utf-8")
