"""Deploying instances into an emulator (or AWS): order, backend bootstrap, inputs, teardown, state safety."""

from harness.deploy.backend import (
    BackendRef,
    Bootstrap,
    backend_config,
    backend_session,
    bootstrap_backend,
    remote_state_config,
    state_object_key,
)
from harness.deploy.cleanup import CleanupReport, PendingApply, cleanup, find_pending
from harness.deploy.deployment import (
    ApplyResult,
    DeployInterrupted,
    Deployment,
    DestroyResult,
    TeardownError,
    TeardownReport,
)
from harness.deploy.graph import DependencyCycle, closure, deploy_order, teardown_order
from harness.deploy.inputs import pick, resolve_inputs
from harness.deploy.ledger import DEFAULT_LEDGER_DIR, Ledger, ledger_files, read_ledger
from harness.deploy.providers import ProviderUse, provider_override, provider_use, service_of
from harness.deploy.state import (
    Backup,
    Leftover,
    LockEntry,
    StateInfo,
    backup_state,
    inspect_state,
    instance_backups,
    list_backups,
    list_locks,
    sweep,
    sweep_backends,
)
from harness.deploy.workdir import StateLockedError, TerraformError, Workdir, WorkdirSpec, spec_for

__all__ = [
    "DEFAULT_LEDGER_DIR",
    "ApplyResult",
    "BackendRef",
    "Backup",
    "Bootstrap",
    "CleanupReport",
    "DependencyCycle",
    "DeployInterrupted",
    "Deployment",
    "DestroyResult",
    "Ledger",
    "Leftover",
    "LockEntry",
    "PendingApply",
    "ProviderUse",
    "StateInfo",
    "StateLockedError",
    "TeardownError",
    "TeardownReport",
    "TerraformError",
    "Workdir",
    "WorkdirSpec",
    "backend_config",
    "backend_session",
    "backup_state",
    "bootstrap_backend",
    "cleanup",
    "closure",
    "deploy_order",
    "find_pending",
    "inspect_state",
    "instance_backups",
    "ledger_files",
    "list_backups",
    "list_locks",
    "pick",
    "provider_override",
    "provider_use",
    "read_ledger",
    "remote_state_config",
    "resolve_inputs",
    "service_of",
    "spec_for",
    "state_object_key",
    "sweep",
    "sweep_backends",
    "teardown_order",
]
