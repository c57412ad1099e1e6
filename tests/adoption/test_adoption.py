"""Adopting the harness from zero: the built wheel in a fresh venv, `harness init`, the generated sessions.

A new Atmos repository with a layout of its own (stacks under config/, components under infra/,
`name_template`, two stacks, two components with AWS resources each) is set up by `harness init` from the
harness installed out of its wheel, into a venv of its own. The generated `nox -s unit`, `check` and `gate`
pass; an SSH-from-anywhere rule then makes `check`, the pytest report and the gate fail.

The sessions run with `nox --no-venv` on that venv's interpreter (the harness came from the wheel once;
installing it again per session would only repeat the same pip install).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

ATMOS_YAML = """\
base_path: "."
components:
  terraform:
    base_path: infra/modules
stacks:
  base_path: config/environments
  included_paths: ["**/*"]
  excluded_paths: ["catalog/**/*"]
  name_template: "{{ .vars.team }}-{{ .vars.env }}"
"""

CATALOG = """\
components:
  terraform:
    edge-sg:
      vars:
        name: edge
    assets:
      vars:
        bucket_name: assets
"""

STACK = """\
import: [catalog/web]
vars:
  team: web
  env: {env}
  region: eu-west-1
"""

SG = """\
variable "team" {
  type = string
}

variable "region" {
  type = string
}

variable "name" {
  type = string
}

variable "env" {
  type = string
}

resource "aws_security_group" "this" {
  name        = "${var.name}-${var.env}"
  description = "edge traffic"
  vpc_id      = "vpc-12345678"
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "https from the private network"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "10.0.0.0/8"
}
"""

SSH_RULE = """
resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.this.id
  description       = "ssh from anywhere"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "0.0.0.0/0"
}
"""

BUCKET = """\
variable "team" {
  type = string
}

variable "region" {
  type = string
}

variable "bucket_name" {
  type = string
}

variable "env" {
  type = string
}

resource "aws_s3_bucket" "this" {
  bucket = "${var.bucket_name}-${var.env}"
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.id
  target_bucket = "${var.bucket_name}-access-logs"
  target_prefix = "${var.env}/"
}

resource "aws_s3_bucket_policy" "tls_only" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
"""


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _git(repo: Path, *args: str) -> None:
    proc = _run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], repo)
    assert proc.returncode == 0, proc.stderr


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist built from a copy of only what the package is made of (pyproject, README, harness/)."""
    src = tmp_path_factory.mktemp("src")
    shutil.copy2(REPO / "pyproject.toml", src / "pyproject.toml")
    shutil.copy2(REPO / "README.md", src / "README.md")
    shutil.copytree(REPO / "harness", src / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("dist")
    proc = _run([sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", str(out), str(src)], src)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the harness from the wheel (its dependencies from the package index) and nox."""
    root = tmp_path_factory.mktemp("venv") / "v"
    proc = _run([sys.executable, "-m", "venv", str(root)], root.parent)
    assert proc.returncode == 0, proc.stderr
    wheel = next(dist.glob("atmos_harness-*.whl"))
    proc = _run([str(root / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 str(wheel), "nox>=2025.2.9"], root.parent, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root


def test_the_sdist_and_wheel_carry_the_templates_and_schemas(dist: Path) -> None:
    wheel = zipfile.ZipFile(next(dist.glob("atmos_harness-*.whl"))).namelist()
    for name in ("harness/templates/init/noxfile.py.tmpl", "harness/templates/init/github/release.yml",
                 "harness/schemas/stack-manifest.json", "harness/noxsessions.py", "harness/py.typed"):
        assert name in wheel
    entry_points = next(n for n in wheel if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(next(dist.glob("atmos_harness-*.whl"))).read(entry_points).decode()
    assert "harness = harness.cli:main" in text and "harness = harness.pytest_plugin" in text
    import tarfile

    with tarfile.open(next(dist.glob("atmos_harness-*.tar.gz"))) as sdist:
        names = sdist.getnames()
    assert any(n.endswith("harness/templates/init/component_test.py.tmpl") for n in names)
    assert any(n.endswith("harness/schemas/stack-manifest.json") for n in names)


def _user_repo(root: Path) -> Path:
    repo = root / "acme-web"
    _write(repo, {
        "atmos.yaml": ATMOS_YAML,
        "config/environments/catalog/web.yaml": CATALOG,
        "config/environments/dev.yaml": STACK.format(env="dev"),
        "config/environments/prod.yaml": STACK.format(env="prod"),
        "infra/modules/edge-sg/main.tf": SG,
        "infra/modules/assets/main.tf": BUCKET,
    })
    # vars the components read come from the stacks: env from each stack, the rest from the catalog
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "infrastructure")
    return repo


def _session_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HARNESS_WORKERS"] = "0"  # one process: the machine is shared by the suite's own workers
    return env


def test_adopting_the_harness_in_a_new_repository(venv: Path, tmp_path: Path) -> None:
    # the installed tool works from outside any repository, with no file of this project
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = _session_env(venv)
    proc = _run([str(venv / "bin" / "harness"), "--help"], outside, env)
    assert proc.returncode == 0 and "init" in proc.stdout, proc.stderr
    where = _run([str(venv / "bin" / "python"), "-c", "import harness; print(harness.__file__)"], outside, env)
    assert where.stdout.strip().startswith(str(venv)), where.stdout  # the wheel's copy, not this checkout

    repo = _user_repo(tmp_path)
    proc = _run([str(venv / "bin" / "harness"), "init"], repo / "config", env)  # found upward from a subfolder
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rel in ("noxfile.py", "pytest.ini", ".github/workflows/pr.yml", ".github/workflows/main.yml",
                ".github/workflows/release.yml", ".pre-commit-config.yaml", "harness-settings.yaml",
                "tests/unit/test_edge_sg.py", "tests/unit/test_assets.py"):
        assert (repo / rel).is_file(), f"{rel} not written:\n{proc.stdout}"
    again = _run([str(venv / "bin" / "harness"), "init"], repo, env)
    assert again.returncode == 0 and "wrote" not in again.stdout and "skipped  noxfile.py" in again.stdout
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "harness init")

    def nox(*args: str) -> subprocess.CompletedProcess[str]:
        return _run([str(venv / "bin" / "nox"), "--no-venv", *args], repo, env)

    unit = nox("-s", "unit")
    assert unit.returncode == 0, unit.stdout[-4000:] + unit.stderr[-4000:]
    # two components x two stacks: the starter test, and the plugin's built-in policy and contract items
    assert "12 passed" in unit.stdout, unit.stdout[-3000:]
    kinds = json.loads((repo / "artifacts/harness-report.json").read_text())
    assert "policies[web-prod/edge-sg]" in json.dumps(kinds)
    check = nox("-s", "check")
    assert check.returncode == 0, check.stdout[-4000:] + check.stderr[-4000:]
    assert "4 instances" in check.stdout + check.stderr
    gate = nox("-s", "gate")
    assert gate.returncode == 0, gate.stdout[-4000:] + gate.stderr[-4000:]

    # a selection that matches nothing fails the session; an affected-only run with no change says so
    nothing = nox("-s", "unit", "--", "-k", "no_such_test")
    assert nothing.returncode != 0 and "no tests ran" in nothing.stdout + nothing.stderr
    unaffected = nox("-s", "unit", "--", "--affected-since", "HEAD")
    assert unaffected.returncode == 0, unaffected.stdout[-3000:] + unaffected.stderr[-3000:]
    assert "nothing to run" in unaffected.stdout + unaffected.stderr

    with (repo / "infra/modules/edge-sg/main.tf").open("a") as fh:
        fh.write(SSH_RULE)
    _git(repo, "commit", "-qam", "ssh for debugging")
    check = nox("-s", "check")
    assert check.returncode != 0 and "no-public-admin-ports" in check.stdout + check.stderr, check.stdout[-3000:]
    unit = nox("-s", "unit")
    report = json.loads((repo / "artifacts/harness-report.json").read_text())
    assert "no-public-admin-ports" in json.dumps(report)  # the built-in policy item saw it
    assert unit.returncode != 0, unit.stdout[-3000:]
    gate = nox("-s", "gate")
    assert gate.returncode != 0 and "no-public-admin-ports" in gate.stdout + gate.stderr, gate.stdout[-3000:]
    # the change reaches tests: an affected-only run that -k empties is not empty on purpose
    emptied = nox("-s", "unit", "--", "--affected-since", "HEAD~1", "-k", "no_such_test")
    assert emptied.returncode != 0 and "no tests ran" in emptied.stdout + emptied.stderr, emptied.stdout[-3000:]


def test_the_generated_workflows_are_schema_valid_and_zizmor_clean(tmp_path: Path) -> None:
    """The workflow templates as `harness init` writes them (from this checkout: no wheel needed)."""
    from harness.atmos import load_config
    from harness.scaffold import init

    repo = tmp_path / "r"
    _write(repo, {"atmos.yaml": ATMOS_YAML, "config/environments/catalog/web.yaml": CATALOG,
                  "config/environments/dev.yaml": STACK.format(env="dev"), "infra/modules/edge-sg/main.tf": SG,
                  "infra/modules/assets/main.tf": BUCKET})
    init(load_config(repo))
    workflows = sorted((repo / ".github/workflows").glob("*.yml"))
    assert [p.name for p in workflows] == ["main.yml", "pr.yml", "release.yml"]
    tools = Path(sys.executable).parent
    for name in ("check-jsonschema", "zizmor"):
        if not (tools / name).exists():
            pytest.skip(f"{name} is not installed: python -m pip install -e '.[test]'")
    proc = _run([str(tools / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                 *map(str, workflows)], repo, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = _run([str(tools / "zizmor"), "--offline", str(repo / ".github/workflows")], repo, timeout=120)
    assert proc.returncode == 0 and "No findings to report" in proc.stdout, proc.stdout + proc.stderr
    assert "--affected-since" in (repo / ".github/workflows/pr.yml").read_text()
    assert "nox -s gate" in (repo / ".github/workflows/release.yml").read_text()
