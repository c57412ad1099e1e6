"""Other contents for a few files: how a past revision of a handful of manifests is read in place.

The BASE side of an incremental ``affected`` only differs from the working tree in the files the change
touched. Rather than exporting the whole revision, the manifest loader reads those files' old contents from
an overlay (``None``: the file did not exist then) and everything else from disk; globs and existence
checks see the overlay too, so an import glob at BASE matches the files BASE had.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wcmatch import glob

from harness.atmos.discovery import GLOB_FLAGS, matches


@dataclass(frozen=True)
class FileOverlay:
    """Absolute path -> text (or None when absent) replacing what the disk holds."""

    files: Mapping[Path, str | None] = field(default_factory=dict)

    def __contains__(self, path: object) -> bool:
        return path in self.files

    def text(self, path: Path) -> str | None:
        """The overlaid text; None when the file is absent in the overlay's revision."""
        return self.files[path]

    def is_file(self, path: Path) -> bool:
        if path in self.files:
            return self.files[path] is not None
        return path.is_file()

    def glob(self, pattern: str, root: Path) -> list[str]:
        """Root-relative matches of ``pattern`` (the disk's, minus overlaid absences, plus overlaid files)."""
        found = set(glob.glob(pattern, root_dir=str(root), flags=GLOB_FLAGS))
        for path, text in self.files.items():
            if not path.is_relative_to(root):
                continue
            rel = path.relative_to(root).as_posix()
            if matches(pattern, rel):
                if text is None:
                    found.discard(rel)
                else:
                    found.add(rel)
        return sorted(found)


#: The overlay of the working tree itself: nothing replaced.
DISK = FileOverlay()
