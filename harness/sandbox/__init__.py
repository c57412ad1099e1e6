"""A local environment: stacks deployed with real terraform into an embedded moto server that stays up.

``harness sandbox up -s STACK`` starts the server (a process of its own), deploys, and records where
everything is in the sandbox folder (``.harness/sandbox`` by default): the server's address and pid,
the run ledgers, the instances' working copies and a copy of every state. ``status`` reads it back;
``down`` destroys what was deployed, stops the server and removes the folder.
"""

from harness.sandbox.lifecycle import DEFAULT_DIR, SandboxStatus, down, status, up
from harness.sandbox.record import SandboxRecord, load_record
from harness.sandbox.server import ServerProcess

__all__ = ["DEFAULT_DIR", "SandboxRecord", "SandboxStatus", "ServerProcess", "down", "load_record", "status", "up"]
