"""validate_suggested_action: only a known method and a plain /v1/... path on our own base get through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.rules.actions import (
    SUGGESTED_METHODS,
    SuggestedAction,
    UnsafeSuggestedAction,
    validate_suggested_action,
)

API_KEY = "lp_test_abc123_SENTINELsecretvalue"

ACCEPTED = [
    "/v1/projects/prj_01HX9Y7K8M2P4RSTUV56789AB",
    "/v1/projects/prj_01HX9Y7K8M2P4RSTUV56789AB/content/clone-from-post",
    "/v1/projects/9cb958b5-11b5-4e30-8675-5d075d52da7c/ads-content/01HXC9A2B3C4D5E6F7G8H9J0K1",
    "/v1/jobs/job_01HX.v2~x",
]
REFUSED = [
    "https://api.layers.com/v1/projects/x",  # absolute URL
    "http://evil.example/v1/x",
    "//evil.example/v1/projects",  # scheme-relative
    "v1/projects",  # not rooted
    "/v2/projects",
    "/v1",
    "/v1/",
    "/V1/projects",
    "/v1/../admin",  # traversal
    "/v1/projects/..",
    "/v1/projects/./x",
    "/v1/projects/%2e%2e/x",  # encoded traversal
    "/v1/projects/%2E%2E%2Fadmin",
    "/v1/projects/%2fadmin",
    "/v1/projects\\..\\admin",  # backslashes
    "/v1\\projects",
    "/v1/projects/x\r\nHost: evil",  # control chars
    "/v1/projects/x\x00",
    "/v1/projects/x\n",
    "/v1/projects/a b",
    "/v1/projects?redirect=https://evil",  # query-string tricks
    "/v1/projects/x?",
    "/v1/projects/x#frag",
    "/v1/projects//x",  # empty segment
    "/v1/projects/x/",
    "/v1/@evil.example/x",
    "/v1/projects/x:80",
    "/v1/projects/\uff58",  # non-ASCII look-alike of x
    "/v1/" + "a" * 2100,
    "",
]


@pytest.mark.parametrize("path", ACCEPTED)
def test_plain_v1_paths_pass_unchanged(path):
    assert validate_suggested_action("POST", path) == SuggestedAction("POST", path)


@pytest.mark.parametrize("path", REFUSED)
def test_everything_else_is_refused(path):
    with pytest.raises(UnsafeSuggestedAction):
        validate_suggested_action("POST", path)


def test_a_non_string_path_is_refused():
    with pytest.raises(UnsafeSuggestedAction, match="path is not a string"):
        validate_suggested_action("GET", None)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_the_methods_the_client_sends_are_accepted(method):
    assert validate_suggested_action(method, ACCEPTED[0]).method == method


@pytest.mark.parametrize(("method", "normalised"), [("get", "GET"), ("post", "POST"), ("Patch", "PATCH")])
def test_a_known_method_in_lower_or_mixed_case_is_accepted_upper_cased(method, normalised):
    assert validate_suggested_action(method, ACCEPTED[0]) == SuggestedAction(normalised, ACCEPTED[0])


@pytest.mark.parametrize(
    "method",
    [
        "HEAD",
        "OPTIONS",
        "TRACE",
        "CONNECT",
        "head",
        "options",
        "trace",
        " GET",
        "GET\r\n",
        "",
        None,
        b"GET",
        1,
    ],
)
def test_other_methods_and_non_strings_are_refused(method):
    with pytest.raises(UnsafeSuggestedAction, match="method must be one of"):
        validate_suggested_action(method, ACCEPTED[0])


def test_the_accepted_methods_are_exactly_the_five_the_client_sends():
    assert frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"}) == SUGGESTED_METHODS


def test_a_refusal_is_a_value_error_that_never_echoes_a_key():
    exc = UnsafeSuggestedAction("POST", f"https://evil.example/{API_KEY}", "absolute URL")
    assert "SENTINEL" not in str(exc)
    assert "SENTINEL" not in exc.path
    assert isinstance(exc, ValueError)
    with pytest.raises(UnsafeSuggestedAction) as caught:
        validate_suggested_action(f"Bearer {API_KEY}", f"/v1/x?key={API_KEY}")
    assert "SENTINEL" not in str(caught.value)


PATHISH = st.text(alphabet="/v1.%2eE\\?#:@ab-_~ \x00\n\u3000", max_size=40)


@given(st.one_of(st.text(max_size=80), PATHISH, PATHISH.map(lambda tail: "/v1/" + tail)))
def test_property_anything_accepted_is_a_v1_path_without_traversal(path):
    try:
        accepted = validate_suggested_action("GET", path).path
    except UnsafeSuggestedAction:
        return
    segments = accepted.split("/")
    assert accepted.startswith("/v1/")
    assert ".." not in segments
    assert "." not in segments
    assert "%" not in accepted
    assert "\\" not in accepted
    assert "?" not in accepted
    assert "#" not in accepted
    assert all(32 < ord(ch) < 127 for ch in accepted)


@given(st.lists(st.sampled_from(["v1", "..", ".", "%2e%2e", "projects", "x", "", "\\", "a?b"]), max_size=6))
def test_property_segment_soup_never_yields_traversal(parts):
    path = "/" + "/".join(parts)
    try:
        accepted = validate_suggested_action("GET", path).path
    except UnsafeSuggestedAction:
        return
    assert accepted.startswith("/v1/")
    assert not {"..", ".", "%2e%2e", ""} & set(accepted.split("/")[1:])
