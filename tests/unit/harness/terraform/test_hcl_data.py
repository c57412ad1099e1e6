"""HCL files as data without python-hcl2: literals, expressions, blocks, and the example's components."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.terraform.hcl import HclSyntaxError, loads

ROOT = Path(__file__).resolve().parents[4]

TFVARS = r'''
# comment
name      = "x"  # trailing
count_n   = 3
ratio     = 0.25
negative  = -4
enabled   = true
nothing   = null
cidrs     = ["10.0.0.0/16", "10.1.0.0/16",]
multi = [
  "a", # first
  // second
  "c"
]
tags = {
  Name                     = "demo"
  "kubernetes.io/role/elb" = "1"
  Owner: "team"
}
nested = { a = { b = [1, 2, { c = "d" }] } }
esc = "quote \" and \\ and \n newline and \u00e9"
doc = <<EOT
line one
  line two
EOT
ind = <<-EOT
    indented
      more
    EOT
'''


def test_tfvars_literals_are_python_values() -> None:
    assert loads(TFVARS) == {
        "name": "x", "count_n": 3, "ratio": 0.25, "negative": -4, "enabled": True, "nothing": None,
        "cidrs": ["10.0.0.0/16", "10.1.0.0/16"], "multi": ["a", "c"],
        "tags": {"Name": "demo", "kubernetes.io/role/elb": "1", "Owner": "team"},
        "nested": {"a": {"b": [1, 2, {"c": "d"}]}},
        "esc": 'quote " and \\ and \n newline and \u00e9',
        "doc": "line one\n  line two\n", "ind": "indented\n  more\n",
    }


TF = '''
terraform {
  required_version = ">= 1.3"
  backend "s3" {}
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
provider "aws" {
  alias  = "use1"
}
locals {
  name   = "${var.namespace}-${var.stage}"
  looked = "${lookup(var.m, "k", "d")}"
  ids    = aws_subnet.this[*].id
  math   = (var.a + var.b) * 2
  m2     = { for k, v in var.m : k => v if v != null }
  mixed  = { a = var.x, b = "lit", c = [var.y, 1] }
}
resource "aws_security_group" "this" {
  count = var.enabled ? 1 : 0
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port = ingress.value.from
    }
  }
  ingress {
    from_port = 22
  }
  ingress {
    from_port = 443
  }
  lifecycle {
    ignore_changes = [tags]
  }
}
variable "obj" {
  type = object({
    name = string # the name
    ids  = optional(list(string), [])
  })
  default = null
}
'''


def test_blocks_nest_by_label_and_repeat_as_lists() -> None:
    data = loads(TF)
    terraform = data["terraform"][0]
    assert terraform["required_version"] == ">= 1.3"
    assert terraform["backend"] == [{"s3": {}}]
    assert terraform["required_providers"] == [{"aws": {"source": "hashicorp/aws", "version": "~> 5.0"}}]
    assert data["provider"] == [{"aws": {"alias": "use1"}}]
    sg = data["resource"][0]["aws_security_group"]["this"]
    assert sg["count"] == "${var.enabled ? 1 : 0}"
    assert [b["from_port"] for b in sg["ingress"]] == [22, 443]
    assert sg["dynamic"] == [{"ingress": {"for_each": "${var.rules}",
                                          "content": [{"from_port": "${ingress.value.from}"}]}}]
    assert sg["lifecycle"] == [{"ignore_changes": ["tags"]}]


def test_expressions_keep_their_source_and_collections_keep_their_literal_parts() -> None:
    local_values = loads(TF)["locals"][0]
    assert local_values["name"] == "${var.namespace}-${var.stage}"  # a template is a string
    assert local_values["looked"] == '${lookup(var.m, "k", "d")}'  # quotes inside the interpolation
    assert local_values["ids"] == "${aws_subnet.this[*].id}"
    assert local_values["math"] == "${(var.a + var.b) * 2}"
    assert local_values["m2"] == "${{for k, v in var.m : k => v if v != null}}"
    assert local_values["mixed"] == {"a": "${var.x}", "b": "lit", "c": ["${var.y}", 1]}


def test_a_type_constraint_loses_its_comments_and_stays_parseable() -> None:
    from harness.terraform.types import type_errors

    variable = loads(TF)["variable"][0]["obj"]
    assert "#" not in variable["type"]
    assert variable["default"] is None
    type_expr = variable["type"][2:-1]
    assert type_errors({"name": "a", "ids": ["x"]}, type_expr) == []
    assert type_errors({"name": ["not", "a", "string"]}, type_expr) != []


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(HclSyntaxError) as caught:
        loads('a = 1\nb = "unterminated\n')
    assert caught.value.line == 2


def test_the_harness_reads_terraform_without_python_hcl2() -> None:
    # checkov's bc-python-hcl2 installs a module named hcl2: the harness must not need either.
    script = textwrap.dedent(f"""
        import sys
        sys.modules["hcl2"] = None  # any import of hcl2 now fails
        from pathlib import Path
        from harness.terraform import load_module
        from harness.atmos.provenance import tf_blocks
        from harness.deploy.providers import provider_override
        root = Path({str(ROOT)!r}) / "components" / "terraform"
        count = 0
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            module = load_module(folder)
            tf_blocks(folder)
            count += len(module.variables)
        print(count)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 50
