"""Git helpers for ``describe affected``: resolve a ref, export its tree, list the changed files.

Only the ``git`` binary is used (no library), and the repository is never modified: a revision is
materialised with ``git archive`` into a temporary directory rather than with a worktree, so nothing
is left behind in ``.git`` when a run is interrupted.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.errors import HarnessError


def git(repo: Path, *args: str) -> bytes:
    """Run ``git -C repo args`` and return stdout; a failure becomes a HarnessError with git's message."""
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise HarnessError("git is not installed (needed to compare revisions)") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise HarnessError(f"git {' '.join(args)} failed in {repo}: {detail[-1] if detail else proc.returncode}")
    return proc.stdout


def repo_root(path: Path) -> Path:
    """The top of the git work tree containing ``path``."""
    start = path if path.is_dir() else path.parent
    try:
        out = git(start, "rev-parse", "--show-toplevel")
    except HarnessError as exc:
        raise HarnessError(f"{path} is not inside a git repository (describe affected needs one)") from exc
    return Path(out.decode().strip()).resolve()


def resolve_commit(repo: Path, ref: str) -> str:
    """The commit SHA ``ref`` names; a clear error when it is not present locally."""
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise HarnessError(
            f"git ref '{ref}' is not reachable in {repo}: check the name, or fetch it first "
            f"(e.g. `git fetch origin {ref}`; shallow CI clones need `fetch-depth: 0`)"
        )
    return proc.stdout.decode().strip()


def export_tree(repo: Path, ref: str, dest: Path) -> str:
    """Write the tree of ``ref`` into ``dest`` (``git archive``); returns the commit SHA."""
    sha = resolve_commit(repo, ref)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as archive:
        proc = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", sha],
            stdout=archive,
            stderr=subprocess.PIPE,
            check=False,
        )
        if proc.returncode != 0:
            raise HarnessError(f"git archive {ref} failed: {proc.stderr.decode(errors='replace').strip()}")
        archive.seek(0)
        with tarfile.open(fileobj=archive, mode="r:") as tar:
            tar.extractall(dest, filter="tar")
    return sha


@contextmanager
def checkout(repo: Path, ref: str) -> Iterator[Path]:
    """A temporary directory holding the tree of ``ref``; removed on exit."""
    with tempfile.TemporaryDirectory(prefix="harness-rev-") as tmp:
        root = Path(tmp) / "tree"
        export_tree(repo, ref, root)
        yield root


def _split_z(out: bytes) -> list[str]:
    return [p for p in out.decode(errors="surrogateescape").split("\0") if p]


def changed_files(repo: Path, base_ref: str, head_ref: str | None = None) -> list[str]:
    """Repository-relative paths that differ between ``base_ref`` and ``head_ref``.

    Without ``head_ref`` the HEAD side is the working tree: committed and uncommitted changes to
    tracked files plus untracked files that are not ignored (``git ls-files --others --exclude-standard``)
    and not tool output (see ``untracked_files``). Renames count as a deletion plus an addition, so both
    paths are reported. Sorted, without duplicates.
    """
    repo = repo_root(repo)
    return changed_between(repo, resolve_commit(repo, base_ref),
                           resolve_commit(repo, head_ref) if head_ref is not None else None)


def changed_between(root: Path, base: str, head: str | None = None) -> list[str]:
    """:func:`changed_files` between two commits already resolved (``head`` None: the working tree), in the
    repository whose top is ``root``."""
    if head is not None:
        paths = _split_z(git(root, "diff", "--name-only", "--no-renames", "-z", base, head, "--"))
    else:
        paths = _split_z(git(root, "diff", "--name-only", "--no-renames", "-z", base, "--"))
        paths += untracked_files(root)
    return sorted(set(paths))


#: Folders that only tools write (never sources), even where a repository forgot to git-ignore them.
TOOL_OUTPUT_DIRS = frozenset({".terraform", "__pycache__", ".nox", ".tox", ".pytest_cache", ".mypy_cache",
                              ".ruff_cache", ".hypothesis", ".harness-cache"})


def untracked_files(repo: Path) -> list[str]:
    """Untracked, not ignored files of the work tree, without tool output.

    A repository that does not ignore its ``.venv`` would otherwise report every file of it (tens of
    thousands): files inside a Python virtual environment (a folder holding ``pyvenv.cfg``) or inside a
    folder of ``TOOL_OUTPUT_DIRS`` never count.
    """
    venv: dict[str, bool] = {}

    def in_venv(parts: tuple[str, ...]) -> bool:
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in venv:
                venv[folder] = (repo / folder / "pyvenv.cfg").is_file()
            if venv[folder]:
                return True
        return False

    kept = []
    for path in _split_z(git(repo, "ls-files", "--others", "--exclude-standard", "-z")):
        parts = tuple(path.split("/"))
        if TOOL_OUTPUT_DIRS.isdisjoint(parts[:-1]) and not in_venv(parts):
            kept.append(path)
    return kept


def read_blobs(repo: Path, ref: str, paths: list[str]) -> dict[str, bytes | None]:
    """The contents of repository-relative ``paths`` at ``ref`` (None where the path is not a file there).

    One ``git cat-file --batch`` for all of them: how the BASE side of a few changed files is read
    without exporting the revision.
    """
    if not paths:
        return {}
    return read_blobs_at(repo, resolve_commit(repo, ref), paths)


def read_blobs_at(repo: Path, sha: str, paths: list[str]) -> dict[str, bytes | None]:
    """:func:`read_blobs` at a commit already resolved (its full SHA)."""
    if not paths:
        return {}
    request = "".join(f"{sha}:{p}\n" for p in paths).encode(errors="surrogateescape")
    proc = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input=request, capture_output=True,
                          check=False)
    if proc.returncode != 0:
        raise HarnessError(f"git cat-file failed in {repo}: {proc.stderr.decode(errors='replace').strip()}")
    out, pos = proc.stdout, 0
    found: dict[str, bytes | None] = {}
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] in (b"blob", b"tree", b"commit", b"tag"):
            size = int(header[2])
            found[path] = out[pos:pos + size] if header[1] == b"blob" else None
            pos += size + 1
        else:  # "<request> missing" or ambiguous
            found[path] = None
    return found
