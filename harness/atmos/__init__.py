"""Atmos stack processing, faithful to Atmos: imports, inheritance, deep merge, names, workspaces, backends."""

from harness.atmos.config import AtmosConfig, load_config
from harness.atmos.instance import Dependency, Instance
from harness.atmos.manifest import Manifest
from harness.atmos.resolver import Entry, Resolver

__all__ = ["AtmosConfig", "Dependency", "Entry", "Instance", "Manifest", "Resolver", "load_config"]
