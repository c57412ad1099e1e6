"""The structural HCL reader: blocks, lines, raw expressions, references."""

from __future__ import annotations

import pytest

from harness.terraform.hcl_reader import HclSyntaxError, Key, analyze, list_elements, parse_blocks

SOURCE = '''
# comment with { braces
resource "aws_s3_bucket" "b" {
  bucket = "${var.name}-${data.aws_caller_identity.current.account_id}" // trailing
  policy = <<-EOT
    {"Resource": "${aws_s3_bucket.x.arn}/*", "Var": "$${aws:username}"}
  EOT
  tags = merge(local.tags, {
    Name = "x"
  })
  /* block
     comment */
  lifecycle {
    ignore_changes = [tags]
  }
  dynamic "rule" {
    for_each = var.rules
    content {
      id = rule.key
    }
  }
}

locals { a = 1 }
'''


def test_blocks_lines_and_expressions() -> None:
    res, loc = parse_blocks(SOURCE, "main.tf")
    assert (res.type, res.labels, res.line_start, res.line_end) == ("resource", ["aws_s3_bucket", "b"], 3, 22)
    assert res.attrs["bucket"].text == '"${var.name}-${data.aws_caller_identity.current.account_id}"'
    assert res.attrs["policy"].line == 5 and res.attrs["policy"].text.endswith("EOT")
    assert res.attrs["tags"].text.startswith("merge(local.tags, {")
    assert [b.type for b in res.blocks] == ["lifecycle", "dynamic"]
    assert res.blocks[1].labels == ["rule"] and res.blocks[1].children("content")[0].line_start == 18
    assert (loc.type, loc.attrs["a"].text, loc.line_start) == ("locals", "1", 24)


def test_references_functions_and_whole_refs() -> None:
    info = analyze('"${var.name}-${data.aws_caller_identity.current.account_id}"')
    assert [r.text for r in info.refs] == ["var.name", "data.aws_caller_identity.current.account_id"]
    whole = analyze('aws_subnet.private["us-east-1a"].id').whole_ref
    assert whole is not None and whole.parts == ("aws_subnet", "private", Key("us-east-1a"), "id")
    assert whole.name_at(2) == "id" and whole.key_after(1) == Key("us-east-1a")
    loop = analyze("[for s in aws_subnet.private : s.id if s.tags != null]")
    assert [r.text for r in loop.refs] == ["aws_subnet.private"]
    assert analyze("timestamp()").functions == {"timestamp"}
    assert analyze('provider::aws::arn_parse("x")').functions == {"provider::aws::arn_parse"}
    assert analyze('"$${aws:username}"').refs == []
    assert [r.text for r in analyze('"%{ if var.on }yes%{ endif }"').refs] == ["var.on"]
    assert list_elements('[data.a.b.json, "x,y", f(1, 2)]') == ["data.a.b.json", '"x,y"', "f(1, 2)"]
    assert list_elements("var.x") is None


def test_syntax_errors_have_lines() -> None:
    with pytest.raises(HclSyntaxError) as info:
        parse_blocks('resource "a" "b" {\n  x = "unterminated\n}\n')
    assert info.value.line == 2
    with pytest.raises(HclSyntaxError):
        parse_blocks('resource "a" "b" {\n  x = 1\n')
