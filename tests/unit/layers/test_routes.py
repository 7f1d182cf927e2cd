"""Routes: which rate-limit class and which logged template a path belongs to."""

from __future__ import annotations

import pytest

from agent.layers import routes
from agent.layers.routes import EndpointClass, route_for


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


def test_a_target_keeps_its_route_and_encodes_every_id():
    target = routes.PATCH_ADS_CONTENT.at(projectId="prj_1", adsContentId="a/b?c")
    assert target.route is routes.PATCH_ADS_CONTENT
    assert target.path == "/v1/projects/prj_1/ads-content/a%2Fb%3Fc"
    assert route_for("PATCH", target.path) == routes.PATCH_ADS_CONTENT
