"""Entity tokens in proxy checks, as Sensu's Go-template substitution renders them."""

from __future__ import annotations

from typing import Any

import pytest

from vigil.tokens import TokenError, substitute, synthesize

ENTITY = synthesize(
    {
        "entity_class": "proxy",
        "metadata": {"name": "router-1", "namespace": "default", "labels": {"url": "http://r1"}},
        "system": {"hostname": "r1", "network": {"interfaces": None}},
        "subscriptions": ["a", "b"],
        "deregister": False,
    }
)


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("check-http {{ .labels.url }}", "check-http http://r1"),
        ("{{.name}}/{{ .entity_class }}", "router-1/proxy"),
        ('{{ .labels.port | default "443" }}', "443"),
        ("{{ .labels.port | default 8080 }}", "8080"),
        ('{{ .labels.url | default "x" }}', "http://r1"),
        ("{{ .system.hostname }}", "r1"),
        ("{{ .deregister }}", "false"),
        ("{{ .subscriptions }}", "[a b]"),
        ('{{ assetPath "sensu-plugins-http" }}', "SENSU_PLUGINS_HTTP_PATH"),
        ("no tokens", "no tokens"),
    ],
)
def test_tokens(text: str, rendered: str) -> None:
    check: dict[str, Any] = {"command": text, "metadata": {"name": "c"}}
    assert substitute(check, ENTITY)["command"] == rendered


@pytest.mark.parametrize("text", ["{{ .labels.missing }}", "{{ .nope.deeper }}", "{{ range . }}"])
def test_unmatched_tokens_fail(text: str) -> None:
    with pytest.raises(TokenError):
        substitute({"command": text}, ENTITY)


def test_every_string_is_substituted_and_the_input_is_untouched() -> None:
    check = {"command": "x", "env_vars": ["HOST={{ .name }}"], "metadata": {"name": "{{ .name }}"}}
    out = substitute(check, ENTITY)
    assert out["env_vars"] == ["HOST=router-1"]
    assert out["metadata"]["name"] == "router-1"
    assert check["env_vars"] == ["HOST={{ .name }}"]
