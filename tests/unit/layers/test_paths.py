"""validate_relative_path: only plain /v1/... paths on our own base get through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.layers import UnsafeActionPath, validate_relative_path
from agent.layers.routes import EndpointClass, route_for

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
    assert validate_relative_path(path) == path


@pytest.mark.parametrize("path", REFUSED)
def test_everything_else_is_refused(path):
    with pytest.raises(UnsafeActionPath):
        validate_relative_path(path)


def test_a_non_string_is_refused():
    with pytest.raises(UnsafeActionPath):
        validate_relative_path(None)  # type: ignore[arg-type]


PATHISH = st.text(alphabet="/v1.%2eE\\?#:@ab-_~ \x00\n\u3000", max_size=40)


@given(st.one_of(st.text(max_size=80), PATHISH, PATHISH.map(lambda tail: "/v1/" + tail)))
def test_property_anything_accepted_is_a_v1_path_without_traversal(path):
    try:
        accepted = validate_relative_path(path)
    except UnsafeActionPath:
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
        accepted = validate_relative_path(path)
    except UnsafeActionPath:
        return
    assert accepted.startswith("/v1/")
    assert not {"..", ".", "%2e%2e", ""} & set(accepted.split("/")[1:])


@pytest.mark.parametrize(
    ("method", "path", "template", "endpoint_class"),
    [
        ("GET", "/v1/jobs/job_1", "/v1/jobs/{jobId}", EndpointClass.READ_LIGHT),
        ("POST", "/v1/jobs/job_1/cancel", "/v1/jobs/{jobId}/cancel", EndpointClass.WRITE_LIGHT),
        ("POST", "/v1/projects", "/v1/projects", EndpointClass.WRITE_LIGHT),
        ("PATCH", "/v1/projects/p", "/v1/projects/{projectId}", EndpointClass.WRITE_LIGHT),
        ("POST", "/v1/projects/p/content", "/v1/projects/{projectId}/content", EndpointClass.LONG_RUNNING),
        (
            "POST",
            "/v1/projects/p/content/clone-from-post",
            "/v1/projects/{projectId}/content/clone-from-post",
            EndpointClass.LONG_RUNNING,
        ),
        (
            "POST",
            "/v1/content/c/clone-from-post",
            "/v1/content/{containerId}/clone-from-post",
            EndpointClass.LONG_RUNNING,
        ),
        ("DELETE", "/v1/scheduled-posts/sp_1", "/v1/scheduled-posts/…", EndpointClass.WRITE_LIGHT),
        ("POST", "/v1/content/c/approve", "/v1/content/…", EndpointClass.WRITE_LIGHT),
        ("GET", "/v1/credits", "/v1/credits/…", EndpointClass.READ_LIGHT),
    ],
)
def test_route_classes(method, path, template, endpoint_class):
    route = route_for(method, path)
    assert (route.template, route.endpoint_class) == (template, endpoint_class)
