"""`lawbot kb fetch phapdien`: download the official Bộ pháp điển, parse it into knowledge_base/phapdien/, reindex."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.settings import Settings

fetch_app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Download official law collections."
)

PHAPDIEN_URL = "https://phapdien.moj.gov.vn/TraCuuPhapDien/Files/BoPhapDienDienTu.zip"
DEFAULT_DOWNLOADS = Path("var/downloads")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(1)


@fetch_app.command("phapdien")
def phapdien(
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help=f"A mirror URL, or a zip already downloaded (default: {PHAPDIEN_URL}).",
        ),
    ] = None,
    kb: Annotated[
        Path | None,
        typer.Option(
            "--kb", help="Knowledge base folder (default: the folder of LAWBOT_DOCUMENTS_REGISTER)."
        ),
    ] = None,
    index: Annotated[
        Path | None, typer.Option("--index", help="Index folder (default: LAWBOT_INDEX_DIR).")
    ] = None,
    downloads: Annotated[
        Path, typer.Option("--downloads", help="Where the zip is downloaded (and resumed from).")
    ] = DEFAULT_DOWNLOADS,
    no_dense: Annotated[
        bool,
        typer.Option(
            "--no-dense",
            help="BM25 only: a minute instead of hours (serve with LAWBOT_EMBEDDER=none).",
        ),
    ] = False,
    no_build: Annotated[
        bool, typer.Option("--no-build", help="Only download and parse; build the index later.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Accept an edition with under half the articles of the current one."
        ),
    ] = False,
    retries: Annotated[
        int, typer.Option("--retries", min=0, help="Retries in a row after a dropped connection.")
    ] = 6,
    retry_wait: Annotated[
        float,
        typer.Option(
            "--retry-wait", min=0, help="Seconds before the first retry (doubling after)."
        ),
    ] = 2.0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Download the Bộ pháp điển điện tử (resumable), parse it into <kb>/phapdien/ (replacing the
    edition there) and rebuild the index from <kb>/phapdien/ and <kb>/laws/.

    The build goes to a new folder and CURRENT switches atomically: a running `lawbot serve` moves to
    it by itself within seconds. Unchanged articles reuse their cached embeddings.
    """
    from bot.runtime.default_index import knowledge_base_dir
    from bot.settings import Settings
    from retrieval.build import SHRINK_RATIO
    from retrieval.phapdien_zip import PhapdienFormatError, count_records, parse_zip, write_edition

    settings = Settings()
    kb_dir = kb or knowledge_base_dir(settings)
    index_dir = index or settings.index_dir
    source = from_ or PHAPDIEN_URL
    target = kb_dir / "phapdien"
    if re.match(r"(?i)^https?://", source):
        zip_path = _download(source, downloads, retries, retry_wait, quiet)
        if zip_path is None:  # the server says our copy is current
            if not no_build and _already_indexed(
                downloads_zip(source, downloads), target, index_dir
            ):
                typer.echo(
                    f"Nothing to do: this edition is already in {target} and in {index_dir}."
                )
                return
            zip_path = downloads_zip(source, downloads)
    else:
        zip_path = Path(source)
        if not zip_path.is_file():
            raise _fail(f"{zip_path} is not a file (give a zip or an http(s) URL to --from)")

    try:
        edition = parse_zip(zip_path, progress=not quiet)
    except PhapdienFormatError as exc:
        raise _fail(f"{exc}; nothing changed") from None
    typer.echo(edition.summary())
    if not edition.records:
        raise _fail(f"no article could be read from {zip_path}; {target} is unchanged")
    before = count_records(target)
    if before and len(edition.records) < before * SHRINK_RATIO and not force:
        raise _fail(
            f"{zip_path} gives {len(edition.records)} articles, under half of the {before} in "
            f"{target}: a damaged or partial zip? Nothing changed; run again with --force to "
            "replace them anyway"
        )
    write_edition(edition, target, source, echo=typer.echo)
    if no_build:
        typer.echo(
            f"Next: `lawbot index build --source {target} --out {index_dir}` (or drop --no-build)."
        )
        return
    _reindex(settings, kb_dir, index_dir, no_dense=no_dense, force=force, quiet=quiet)


def downloads_zip(url: str, downloads: Path) -> Path:
    """Where the zip of `url` is kept: <downloads>/<its file name> (resumed from <name>.part)."""
    name = Path(url.split("?", 1)[0].rstrip("/")).name
    return downloads / (name if name.lower().endswith(".zip") else "phapdien.zip")


def _download(url: str, downloads: Path, retries: int, wait: float, quiet: bool) -> Path | None:
    """The downloaded zip, or None when the server says the copy from last time is current."""
    from retrieval.download import DownloadError, download

    dest = downloads_zip(url, downloads)
    typer.echo(f"Downloading {url} to {dest}")
    try:
        got = download(
            url, dest, retries=retries, backoff=wait, progress=not quiet, echo=typer.echo
        )
    except DownloadError as exc:
        raise _fail(str(exc)) from None
    if got.unchanged:
        return None
    resumed = f", resumed from byte {got.resumed_from}" if got.resumed_from else ""
    typer.echo(f"Downloaded {got.size} bytes in {got.attempts} request(s){resumed}")
    return got.path


def _reindex(
    settings: Settings, kb_dir: Path, index_dir: Path, *, no_dense: bool, force: bool, quiet: bool
) -> None:
    """Build the index from <kb>/phapdien and <kb>/laws with the register; CURRENT moves when done."""
    from bot.runtime.default_index import LAW_FOLDERS
    from retrieval.build import BuildShrank, SourceError, build_index
    from retrieval.embed import make_embedder
    from retrieval.register import load_register

    sources = [kb_dir / name for name in LAW_FOLDERS if (kb_dir / name).is_dir()]
    register_path = kb_dir / "documents.yaml"
    if not register_path.is_file():
        register_path = Path(settings.documents_register)
    register = load_register(register_path) if register_path.is_file() else None
    embedder = None if no_dense else make_embedder(settings.embedder)
    if embedder is None and settings.embedder != "none":
        typer.echo(
            f"Building BM25 only: a server with LAWBOT_EMBEDDER={settings.embedder} refuses this "
            "build; set LAWBOT_EMBEDDER=none for it (or build without --no-dense)."
        )
    elif embedder is not None:
        typer.echo(
            f"Dense part with {embedder.id}: a first build embeds every article (hours on a small "
            f"machine; --no-dense for BM25 only); cached in {settings.embed_cache}, so unchanged "
            "articles are not embedded again and an interrupted build resumes."
        )
    try:
        build = build_index(
            sources,
            index_dir,
            embedder,
            settings.embed_cache if embedder is not None else None,
            progress=not quiet,
            register=register,
            echo=typer.echo,
            force=force,
        )
    except (BuildShrank, SourceError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"Index {build} is now CURRENT in {index_dir}: a running `lawbot serve` switches to it by "
        "itself (it watches CURRENT; `systemctl reload` or SIGHUP makes it look at once)."
    )


def _already_indexed(zip_path: Path, folder: Path, index_dir: Path) -> bool:
    """True when `folder` was written from this very zip and CURRENT serves that many pháp điển articles."""
    import hashlib
    import json

    from retrieval.build import IndexFormatError, current_build, read_manifest
    from retrieval.phapdien_zip import INFO_FILE

    try:
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
        counts = read_manifest(current_build(index_dir)).get("counts") or {}
    except (OSError, ValueError, FileNotFoundError, IndexFormatError):
        return False
    h = hashlib.sha256()
    with zip_path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return bool(
        info.get("sha256") == h.hexdigest() and counts.get("phapdien") == info.get("n_articles")
    )
