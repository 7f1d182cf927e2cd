"""Projects (contract §8): create (201), list with cursors and filters, get, PATCH incl. `brand`."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.sandbox import ids
from agent.sandbox.clock import iso
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import conflict, validation
from agent.sandbox.params import BodyReader, paginate, q_enum, q_str, query_bind
from agent.sandbox.state import ProjectRec, SandboxState
from agent.sandbox.witness import Outcome

BRAND_VOICES = ("authentic", "witty", "professional", "warm", "casual", "educational")
TARGET_GENDERS = ("all", "female", "male")
CREATE_FIELDS = (
    "name",
    "timezone",
    "customerExternalId",
    "ownerEmail",
    "primaryLanguage",
    "appName",
    "appDescription",
    "tagline",
    "brandVoice",
    "targetGender",
    "metadata",
    "id",
)
PATCH_FIELDS = (
    "name",
    "status",
    "ownerEmail",
    "timezone",
    "primaryLanguage",
    "customerExternalId",
    "appName",
    "appDescription",
    "tagline",
    "brandVoice",
    "targetGender",
    "metadata",
    "brand",
)
READ_ONLY_FIELDS = (
    "id",
    "organizationId",
    "createdAt",
    "updatedAt",
    "ingestState",
    "brandContext",
    "requiresApproval",
    "firstNPostsBlocked",
    "currentBlockedCount",
)


def project_json(project: ProjectRec, state: SandboxState) -> dict[str, Any]:
    pending = sum(
        1 for c in state.containers.values() if c.project_id == project.id and c.approval_status == "pending"
    )
    return {
        "id": f"prj_{project.id}",
        "organizationId": state.scenario.organization.id,
        "name": project.name,
        "status": project.status,
        "customerExternalId": project.customer_external_id,
        "timezone": project.timezone,
        "primaryLanguage": project.primary_language,
        "ownerEmail": project.owner_email,
        "brand": project.brand,
        "brandContext": {
            "appName": project.app_name,
            "appDescription": project.app_description,
            "tagline": project.tagline,
            "brandVoice": project.brand_voice,
            "primaryLanguage": project.primary_language,
        },
        "ingestState": {"github": None, "website": None, "appstore": None},
        "requiresApproval": project.requires_approval,
        "firstNPostsBlocked": project.first_n_posts_blocked,
        "currentBlockedCount": pending,
        "metadata": project.metadata,
        "createdAt": iso(project.created_at),
        "updatedAt": iso(project.updated_at),
    }


def _list_item(project: ProjectRec) -> dict[str, Any]:
    return {
        "id": f"prj_{project.id}",
        "name": project.name,
        "status": project.status,
        "customerExternalId": project.customer_external_id,
        "timezone": project.timezone,
        "primaryLanguage": project.primary_language,
        "ownerEmail": project.owner_email,
        "createdAt": iso(project.created_at),
        "updatedAt": iso(project.updated_at),
    }


def _timezone(reader: BodyReader, required: bool) -> str | None:
    value = reader.string("timezone", required=required, min_len=1)
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        reader.issues.append(("timezone", "Unknown IANA timezone."))
        return None
    return value


def _brand_fields(reader: BodyReader) -> dict[str, Any]:
    """Fields shared by create and PATCH; only the keys present in the body are returned."""
    values: dict[str, Any] = {
        "owner_email": reader.string("ownerEmail", min_len=3, max_len=320),
        "primary_language": reader.string("primaryLanguage", min_len=2, max_len=35),
        "customer_external_id": reader.string("customerExternalId", min_len=1, max_len=255),
        "app_name": reader.string("appName", min_len=3, max_len=30, nullable=True),
        "app_description": reader.string("appDescription", min_len=100, max_len=1000, nullable=True),
        "tagline": reader.string("tagline", max_len=80),
        "brand_voice": reader.enum("brandVoice", BRAND_VOICES),
        "target_gender": reader.enum("targetGender", TARGET_GENDERS),
        "metadata": reader.obj("metadata", nullable=True),
    }
    camel = {
        "owner_email": "ownerEmail",
        "primary_language": "primaryLanguage",
        "customer_external_id": "customerExternalId",
        "app_name": "appName",
        "app_description": "appDescription",
        "tagline": "tagline",
        "brand_voice": "brandVoice",
        "target_gender": "targetGender",
        "metadata": "metadata",
    }
    return {name: value for name, value in values.items() if reader.has(camel[name])}


def create_project(req: ApiRequest, state: SandboxState) -> ApiResponse:
    reader = BodyReader(req.json_body(), CREATE_FIELDS)
    name = reader.string("name", required=True, min_len=3, max_len=30)
    timezone = _timezone(reader, required=True)
    raw_id = reader.string("id", min_len=1)
    fields = _brand_fields(reader)
    project_id = ids.bare(raw_id, "prj") if raw_id else ids.new_uuid()
    if raw_id and not ids.is_uuid(project_id):
        reader.issues.append(("id", "Expected a UUID (optionally prj_-prefixed)."))
    reader.done()
    if project_id in state.projects:
        raise conflict("A project with this id already exists.", projectId=f"prj_{project_id}")
    project = ProjectRec(
        id=project_id,
        name=name or "",
        status="active",
        customer_external_id=None,
        timezone=timezone or "UTC",
        primary_language="en",
        owner_email=None,
        requires_approval=False,
        first_n_posts_blocked=0,
        created_at=req.now,
        updated_at=req.now,
    )
    for attr, value in fields.items():
        setattr(project, attr, value)
    state.projects[project_id] = project
    req.outcome = Outcome.APPLIED
    req.note(project_id=f"prj_{project_id}")
    return ApiResponse(201, project_json(project, state))


def list_projects(req: ApiRequest, state: SandboxState) -> ApiResponse:
    status = q_enum(req, "status", ("active", "archived"))
    search = (q_str(req, "search") or "").lower()
    external = q_str(req, "customerExternalId")
    projects = [
        p
        for p in state.projects.values()
        if (status is None or p.status == status)
        and (not search or search in p.name.lower())
        and (external is None or p.customer_external_id == external)
    ]
    projects.sort(key=lambda p: (p.created_at, p.id), reverse=True)
    page = paginate(projects, req, bind=query_bind(req), default_limit=25, max_limit=200)
    page["items"] = [_list_item(p) for p in page["items"]]
    return ApiResponse(200, page)


def get_project(req: ApiRequest, state: SandboxState) -> ApiResponse:
    return ApiResponse(200, project_json(state.project(req.params["projectId"]), state))


def _merge_brand(current: dict[str, Any] | None, patch: dict[str, Any] | None, reader: BodyReader) -> Any:
    """`brand` merges key by key (a null value removes a key); `brand: null` clears it."""
    if patch is None:
        return None
    emphasis = patch.get("valuePropositionsEmphasis")
    if emphasis is not None and not (
        isinstance(emphasis, list) and all(isinstance(v, str) for v in emphasis)
    ):
        reader.issues.append(("brand.valuePropositionsEmphasis", "Expected a list of strings."))
    merged = dict(current or {})
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def patch_project(req: ApiRequest, state: SandboxState) -> ApiResponse:
    project = state.project(req.params["projectId"])
    data = req.json_body()
    read_only = [key for key in data if key in READ_ONLY_FIELDS]
    if read_only:
        raise validation([(key, "Read-only field.") for key in read_only], status=400)
    if not data:
        raise validation([("", "Provide at least one field to update.")])
    reader = BodyReader(data, PATCH_FIELDS)
    updates = _brand_fields(reader)
    if reader.has("name"):
        updates["name"] = reader.string("name", min_len=3, max_len=30)
    if reader.has("status"):
        updates["status"] = reader.enum("status", ("active", "archived"))
    if reader.has("timezone"):
        updates["timezone"] = _timezone(reader, required=False)
    if reader.has("brand"):
        updates["brand"] = _merge_brand(project.brand, reader.obj("brand", nullable=True), reader)
    reader.done()
    for attr, value in updates.items():
        setattr(project, attr, value)
    project.updated_at = req.now
    req.outcome = Outcome.APPLIED
    req.note(project_id=f"prj_{project.id}")
    return ApiResponse(200, project_json(project, state))
