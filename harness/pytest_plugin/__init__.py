"""The pytest plugin (entry point ``harness = "harness.pytest_plugin"``): a package of small hook modules.

Thin by design: every module maps pytest's hooks onto calls into the library (``harness.session``,
``harness.policy``, ``harness.contracts``, ``harness.verify``, ``harness.report``).

- ``options``: every command-line and ini option, markers, per-run state set up at configure;
- ``preflight``: resolve the stacks once, in the controller, and end a broken run with one line;
- ``builtins``: the built-in items per instance (policies, contracts, post-deploy validators);
- ``selection``: ``--affected-since``, ``--shard`` and xdist plan groups;
- ``fixtures``: ``instance``, ``plan``, ``component``, ``policy_result``, ... and the ``component`` marker;
- ``outcomes``: undetermined results and the harness section of a failure;
- ``reporting``: the JSON report, the header line and the terminal summary;
- ``live_output``: prints under ``-s`` and live or file logs, masked.
"""

pytest_plugins = [
    "harness.pytest_plugin.options",
    "harness.pytest_plugin.preflight",
    "harness.pytest_plugin.builtins",
    "harness.pytest_plugin.selection",
    "harness.pytest_plugin.fixtures",
    "harness.pytest_plugin.outcomes",
    "harness.pytest_plugin.reporting",
    "harness.pytest_plugin.live_output",
]
