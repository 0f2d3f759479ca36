"""The embedded default index: built from knowledge_base/ alone when no index exists yet.

Only into a folder that holds no law build: a missing CURRENT next to real builds (a disk cleaned
by hand, a copy cut short) is reported, never papered over with an empty index that answers 200.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from bot.settings import Settings

log = logging.getLogger(__name__)

# Law texts an admin imported with `lawbot kb import` (see bot/kb/manage.py), relative to knowledge_base/.
LAW_FOLDERS = ("laws", "phapdien")


def knowledge_base_dir(settings: Settings) -> Path:
    """knowledge_base/: the folder that holds the register (and, next to it, faq/, laws/, phapdien/)."""
    return Path(settings.documents_register).parent


def default_sources(settings: Settings) -> list[Path]:
    """The law folders of knowledge_base/ that exist (none on a fresh clone: FAQ and register only)."""
    kb = knowledge_base_dir(settings)
    return [kb / name for name in LAW_FOLDERS if (kb / name).is_dir()]


def has_index(index_dir: Path) -> bool:
    """True when a CURRENT pointer exists, usable or not: a broken index is reported by the loader,
    never silently replaced by the default one."""
    from retrieval.build import CURRENT

    return (Path(index_dir) / CURRENT).exists()


def build_default_index(
    settings: Settings, *, progress: bool = True, echo: Callable[[str], None] = print
) -> Path:
    """Build settings.index_dir from knowledge_base/ with the configured embedder (dense included).

    On a fresh clone the law folders are empty: the build then holds no article, the FAQ answers
    with the legal basis named from the register, and other questions go to a person. An admin
    adds law texts with `lawbot kb import` (or builds the whole pháp điển with `lawbot index build`).
    """
    from retrieval.build import build_index
    from retrieval.embed import make_embedder
    from retrieval.register import load_register

    register = (
        load_register(settings.documents_register)
        if Path(settings.documents_register).is_file()
        else None
    )
    embedder = make_embedder(settings.embedder)
    return build_index(
        default_sources(settings),
        settings.index_dir,
        embedder,
        settings.embed_cache if embedder is not None else None,
        progress=progress,
        register=register,
        echo=echo,
        allow_empty=True,
    )


def law_builds(settings: Settings) -> list[str]:
    """Finished builds in settings.index_dir that the default build could not stand in for: any
    with articles from outside knowledge_base/'s law folders, or whose manifest does not read."""
    import json

    from retrieval.build import BUILDS, MANIFEST

    own = [folder.resolve() for folder in default_sources(settings)]
    found = []
    for build in sorted((Path(settings.index_dir) / BUILDS).glob("*")):
        if not build.is_dir() or build.name.startswith("."):  # .tmp-*: unfinished, removed later
            continue
        try:
            manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
            sources = [Path(s).resolve() for s in manifest["sources"]]
            default = manifest["n_articles"] == 0 or all(
                any(src.is_relative_to(folder) for folder in own) for src in sources
            )
        except (OSError, ValueError, KeyError, TypeError):
            default = False  # unreadable: it may well be the law, so keep hands off
        if not default:
            found.append(build.name)
    return found


def ensure_index(settings: Settings, *, echo: Callable[[str], None] = print) -> bool:
    """Build the default index when settings.index_dir has none; True when one was built.

    Not when the folder holds law builds but no CURRENT: the server then starts without an index
    (/healthz answers 503 with the reason, messages wait in the inbox) and switches as soon as
    CURRENT points at a build again."""
    if has_index(Path(settings.index_dir)):
        return False
    kept = law_builds(settings)
    if kept:
        echo(
            f"Error: {Path(settings.index_dir) / 'CURRENT'} is missing, but the folder holds "
            f"{len(kept)} index build(s) ({', '.join(kept[-3:])}): not replacing them with an "
            "empty default index. Point CURRENT at the build to serve "
            f"(echo {kept[-1]} > {Path(settings.index_dir) / 'CURRENT'}) or rebuild "
            f"(lawbot index build --out {settings.index_dir}); a running server switches to it."
        )
        return False
    sources = default_sources(settings)
    echo(
        f"No index in {settings.index_dir}: building the default one from "
        f"{knowledge_base_dir(settings)} ("
        + (
            ", ".join(str(s) for s in sources)
            if sources
            else "FAQ and register only, no law text yet"
        )
        + ")"
    )
    build_default_index(settings, progress=False, echo=echo)
    return True
