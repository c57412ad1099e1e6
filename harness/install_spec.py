"""How to install the harness that is running now, again: into a nox session's venv, or pinned in a
generated noxfile. Kept apart from ``harness.noxsessions`` so that ``harness init`` works without nox."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shlex
from urllib.parse import unquote, urlparse

DIST_NAME = "atmos-harness"


def installed_spec() -> list[str]:
    """pip arguments that install the harness that is running now, the way it was installed.

    From PEP 610's ``direct_url.json``: a wheel or sdist file or URL, a directory (``-e`` when editable),
    or a git commit; installed from an index (or not found): ``atmos-harness==VERSION``.
    """
    from harness import __version__

    try:
        dist = importlib.metadata.distribution(DIST_NAME)
    except importlib.metadata.PackageNotFoundError:
        return [f"{DIST_NAME}=={__version__}"]
    text = dist.read_text("direct_url.json")
    try:
        direct = json.loads(text) if text else {}
    except ValueError:
        direct = {}
    url = direct.get("url") if isinstance(direct, dict) else None
    if not isinstance(url, str):
        return [f"{DIST_NAME}=={dist.version}"]
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        return [f"{DIST_NAME} @ {vcs['vcs']}+{url}@{vcs['commit_id']}"]
    dir_info = direct.get("dir_info")
    if isinstance(dir_info, dict):
        path = unquote(urlparse(url).path) if url.startswith("file:") else url
        return ["-e", path] if dir_info.get("editable") else [path]
    return [f"{DIST_NAME} @ {url}"]


def pip_spec() -> list[str]:
    """``HARNESS_PIP_SPEC`` split like a shell would (e.g. ``atmos-harness==0.2.0`` or ``-e ../harness``)."""
    value = os.environ.get("HARNESS_PIP_SPEC", "").strip()
    return shlex.split(value) if value else installed_spec()
