"""Go templates with Sprig and Gomplate functions, each checked against what Go renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.atmos import Resolver, load_config
from harness.atmos.template_funcs import FUNCS
from harness.atmos.templates import TemplateError, render
from harness.errors import ConfigError
from tests.unit.harness.conftest import DEFAULT_ATMOS_YAML, WriteRepo

CONTEXT = {
    "vars": {"name": "hello_world-x's", "n": 3, "list": ["a", "b"], "map": {"b": 2, "a": 1}, "blank": "",
             "zero": 0, "f": 1.5, "big": 1000000.0, "html": "a<b&c", "stage": "dev"},
    "settings": {"enabled": True},
}
ENV = {"REGION": "us-east-2", "EMPTY": ""}

# (template, what Go's text/template + Sprig/Gomplate render)
GO_CASES = [
    # Go builtins and language
    ('{{ .vars.stage }}', "dev"),
    ('{{ .vars.map }}', "map[a:1 b:2]"),
    ('{{ .vars.list }}', "[a b]"),
    ('{{ .vars.f }}/{{ .vars.big }}', "1.5/1e+06"),
    ('{{ if eq .vars.n 3 }}three{{ else if eq .vars.n 4 }}four{{ else }}other{{ end }}', "three"),
    ('{{ if .vars.blank }}yes{{ else }}no{{ end }}', "no"),
    ('{{ range $i, $v := .vars.list }}{{ $i }}={{ $v }};{{ end }}', "0=a;1=b;"),
    ('{{ range $k, $v := .vars.map }}{{ $k }}{{ $v }}{{ end }}', "a1b2"),
    ('{{ range (list) }}x{{ else }}empty{{ end }}', "empty"),
    ('{{ with .vars.map }}{{ .a }}{{ end }}', "1"),
    ('{{- $x := "y" }} [{{ $x -}} ]', " [y]"),
    ('{{ len .vars.list }} {{ index .vars.list 1 }} {{ index .vars.map "a" }}', "2 b 1"),
    ('{{ and .vars.n .vars.blank }}|{{ or .vars.blank .vars.n }}|{{ not .vars.zero }}', "|3|true"),
    ('{{ printf "%s-%03d-%v-%q-%.2f" "a" 7 .vars.list "q" 3.14159 }}', 'a-007-[a b]-"q"-3.14'),
    ('{{ print 1 2 "x" 3 }}', "1 2x3"),
    ('{{ (index .vars.list 0) | upper }}', "A"),
    ('{{/* a comment */}}ok', "ok"),
    # Sprig: defaults
    ('{{ .vars.missing | default "d" }}', "d"),
    ('{{ .vars.blank | default "d" }}|{{ .vars.zero | default 5 }}|{{ .vars.stage | default "d" }}', "d|5|dev"),
    ('{{ empty .vars.blank }} {{ empty .vars.list }}', "true false"),
    ('{{ coalesce .vars.blank .vars.zero "c" }}', "c"),
    ('{{ required "stage is required" .vars.stage }}', "dev"),
    ('{{ ternary "on" "off" .settings.enabled }}', "on"),
    # Sprig: strings
    ('{{ .vars.name | title }}', "Hello_world-X'S"),
    ('{{ upper "ab" }}{{ lower "CD" }}{{ trim "  e  " }}', "ABcde"),
    ("{{ trimPrefix \"hello_\" .vars.name }}|{{ trimSuffix \"'s\" .vars.name }}", "world-x's|hello_world-x"),
    ('{{ replace "_" "-" .vars.name }}', "hello-world-x's"),
    ('{{ quote .vars.stage .vars.n }} {{ squote .vars.stage }}', "\"dev\" \"3\" 'dev'"),
    ('{{ trunc 3 "abcdef" }}|{{ trunc -2 "abcdef" }}|{{ substr 1 3 "abcdef" }}', "abc|ef|bc"),
    ('{{ repeat 2 "ab" }}|{{ nospace "a b c" }}|{{ cat "a" nil "b" }}', "abab|abc|a b"),
    ('{{ contains "ell" "hello" }} {{ hasPrefix "he" "hello" }} {{ hasSuffix "x" "hello" }}', "true true false"),
    ('{{ splitList "," "a,b" | join "+" }}|{{ (split "," "a,b")._1 }}', "a+b|b"),
    ('{{ indent 2 "a\\nb" }}', "  a\n  b"),
    ('{{ regexReplaceAll "(o+)" "foo" "[$1]" }}|{{ regexMatch "^d" .vars.stage }}', "f[oo]|true"),
    # Sprig: JSON, encoding, env
    ('{{ toJson .vars.map }}|{{ .vars.list | toJson }}', '{"a":1,"b":2}|["a","b"]'),
    ('{{ toJson .vars.html }}|{{ toRawJson .vars.html }}', '"a\\u003cb\\u0026c"|"a<b&c"'),
    ('{{ toPrettyJson .vars.map }}', '{\n  "a": 1,\n  "b": 2\n}'),
    ('{{ (fromJson "{\\"k\\": [1]}").k }}', "[1]"),
    ('{{ b64enc "hi" }} {{ b64dec "aGk=" }}', "aGk= hi"),
    ('{{ sha256sum "a" | trunc 8 }}', "ca978112"),
    ('{{ env "REGION" }}|{{ env "NOPE" }}|{{ expandenv "r=$REGION" }}', "us-east-2||r=us-east-2"),
    # Sprig: lists, dicts, numbers
    ('{{ list 1 "a" | toJson }}|{{ first .vars.list }}{{ last .vars.list }}|{{ has "b" .vars.list }}',
     '[1,"a"]|ab|true'),
    ('{{ dict "k" "v" "n" 1 | toJson }}|{{ get .vars.map "a" }}|{{ hasKey .vars.map "z" }}', '{"k":"v","n":1}|1|false'),
    ('{{ keys .vars.map | join "," }}|{{ merge (dict "a" 1) (dict "a" 2 "b" 3) | toJson }}', 'a,b|{"a":1,"b":3}'),
    ('{{ dig "map" "a" "none" .vars }}|{{ dig "map" "z" "none" .vars }}', "1|none"),
    ('{{ add 1 2 "3" }} {{ sub 5 7 }} {{ mul 2 3 }} {{ div -7 2 }} {{ mod 7 3 }} {{ max 1 9 4 }}', "6 -2 6 -3 1 9"),
    ('{{ int "42" }} {{ atoi "x" }} {{ toString 1.5 }} {{ float64 "2.5" }}', "42 0 1.5 2.5"),
    # Gomplate namespaces
    ("{{ strings.Title \"web app-x\" }}|{{ strings.Quote .vars.stage }}|{{ strings.Squote \"it's\" }}",
     "Web App-X|\"dev\"|'it''s'"),
    ('{{ strings.ToUpper "a" }}{{ strings.ToLower "B" }}|{{ strings.TrimSpace " c " }}|{{ strings.Trim "x" "xdx" }}',
     "Ab|c|d"),
    ('{{ strings.ReplaceAll "-" "_" "a-b-c" }}|{{ strings.Split "-" "a-b" | toJson }}|{{ strings.Contains "b" "abc" }}',
     'a_b_c|["a","b"]|true'),
    ('{{ strings.HasPrefix "a" "ab" }} {{ strings.TrimPrefix "a" "ab" }} {{ strings.Repeat 3 "z" }}', "true b zzz"),
    ('{{ conv.ToInt "7" }} {{ conv.ToBool "yes" }} {{ conv.Default "d" "" }} {{ conv.Join .vars.list "/" }}',
     "7 true d a/b"),
    ('{{ data.ToJSON .vars.map }}|{{ (data.JSON "{\\"a\\": \\"b\\"}").a }}|{{ (data.YAML "k: v").k }}',
     '{"a":1,"b":2}|b|v'),
    ('{{ coll.Keys .vars.map | toJson }}|{{ coll.Has .vars.map "a" }}|{{ coll.Dict "x" 1 | toJson }}',
     '["a","b"]|true|{"x":1}'),
    ('{{ math.Add 1 2 }} {{ math.Div 7 2 }} {{ math.Max 1 5 }}', "3 3.5 5"),
    ('{{ env.Getenv "REGION" }}|{{ env.Getenv "EMPTY" "fallback" }}|{{ getenv "NOPE" "x" }}', "us-east-2|fallback|x"),
    ('{{ path.Base "a/b/c.yaml" }} {{ path.Dir "a/b/c.yaml" }} {{ path.Ext "c.yaml" }}', "c.yaml a/b .yaml"),
]


@pytest.mark.parametrize(("template", "expected"), GO_CASES, ids=[c[0][:60] for c in GO_CASES])
def test_renders_as_go(template: str, expected: str) -> None:
    assert render(template, CONTEXT, env=ENV) == expected


@pytest.mark.parametrize(("template", "message"), [
    ('{{ .vars.missing }}', "map has no entry for key 'vars.missing'"),
    ('{{ upper .vars.missing }}', "map has no entry for key 'vars.missing'"),
    ('{{ required "stage is required" .vars.blank }}', "stage is required"),
    ('{{ fail "stop here" }}', "stop here"),
    ('{{ atmos.Component "vpc" "dev" }}', "unsupported template function 'atmos.Component'"),
    ('{{ now }}', "unsupported template function 'now'"),
    ('{{ define "x" }}{{ end }}', "unsupported template action"),
    ('{{ if .vars.n }}open', "unclosed {{ if }}"),
    ('{{ .vars.stage.x }}', "can't evaluate field x in type string"),
])
def test_errors_as_go(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=None) as info:
        render(template, CONTEXT, env=ENV)
    assert message in str(info.value)


def test_missing_values_render_no_value_when_ignored() -> None:
    assert render("{{ .vars.missing }}", CONTEXT, ignore_missing=True) == "<no value>"


def test_the_function_table_names_sprig_and_gomplate_functions() -> None:
    for name in ("env", "default", "required", "coalesce", "toJson", "strings.Title", "strings.Quote", "conv.ToInt",
                 "data.ToJSON", "env.Getenv", "coll.Dict", "math.Add"):
        assert name in FUNCS


STACK = """\
vars:
  tenant: plat
  environment: ue2
  stage: dev
components:
  terraform:
    app:
      vars:
        title: '{{ .vars.stage | strings.Title }}'
        region: '{{ env "HARNESS_TEST_REGION" | default "us-east-1" }}'
        owner: '{{ coalesce .settings.owner "platform" }}'
        name: '{{ printf "%s-%s" .vars.tenant .vars.stage | upper }}'
        tags: '{{ toJson (dict "stage" .vars.stage "tenant" .vars.tenant) }}'
        quoted: '{{ strings.Quote .vars.environment }}'
        flag: '{{ if eq .vars.stage "prod" }}strict{{ else }}relaxed{{ end }}'
"""


def test_a_repository_using_template_functions_describes_with_atmos_values(write_repo: WriteRepo) -> None:
    repo = write_repo({"atmos.yaml": DEFAULT_ATMOS_YAML + "templates:\n  settings:\n    enabled: true\n",
                       "stacks/orgs/dev.yaml": STACK})
    resolver = Resolver(load_config(repo), env={"HARNESS_TEST_REGION": "eu-west-1"})
    assert resolver.describe_component("app", "plat-ue2-dev")["vars"] == {
        "tenant": "plat", "environment": "ue2", "stage": "dev",
        "title": "Dev", "region": "eu-west-1", "owner": "platform", "name": "PLAT-DEV",
        "tags": '{"stage":"dev","tenant":"plat"}', "quoted": '"ue2"', "flag": "relaxed",
    }


def test_an_unsupported_function_names_the_imported_file_line_and_function(write_repo: WriteRepo) -> None:
    repo: Path = write_repo({
        "atmos.yaml": DEFAULT_ATMOS_YAML + "templates:\n  settings:\n    enabled: true\n",
        "stacks/orgs/dev.yaml": "import: [catalog/app]\nvars: {tenant: plat, environment: ue2, stage: dev}\n",
        "stacks/catalog/app.yaml": "components:\n  terraform:\n    app:\n      vars:\n"
                                   "        id: '{{ uuidv4 }}'\n",
    })
    with pytest.raises(ConfigError) as info:
        Resolver(load_config(repo)).describe_stacks()
    text = str(info.value)
    assert text.startswith(f"{repo / 'stacks/catalog/app.yaml'}:5: template function 'uuidv4' error"), text
    assert "unsupported template function 'uuidv4'" in text and "(imported by stacks/orgs/dev.yaml)" in text
