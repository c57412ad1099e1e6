"""The harness's cache folder in a repository (``.harness-cache``: plans, the stack index)."""

from __future__ import annotations

from pathlib import Path

CACHE_DIR_NAME = ".harness-cache"
_GITIGNORE = "# Written by atmos-harness: this folder is a cache, never commit it.\n*\n"


def ensure_ignored(path: Path) -> None:
    """Give the ``.harness-cache`` folder holding ``path`` a ``.gitignore`` of ``*`` (as pytest does for its cache).

    Without it, a repository that does not ignore the folder would see the cache's own files as changes,
    and ``affected`` would count them. Best effort: a folder that cannot be written is left as it is.
    """
    for folder in (path, *path.parents):
        if folder.name == CACHE_DIR_NAME:
            marker = folder / ".gitignore"
            if not marker.exists():
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    marker.write_text(_GITIGNORE, encoding="utf-8")
                except OSError:
                    return
            return


def is_cache_path(relative: str) -> bool:
    """Whether a repository-relative path lies in a harness cache folder."""
    return CACHE_DIR_NAME in Path(relative).parts
