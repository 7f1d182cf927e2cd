"""Projects (contract §8): create (201), list with cursors and filters, get, PATCH incl. `brand`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.sandbox import ids
from agent.sandbox.clock import iso
from agent.sandbox.context import ApiRequest, ApiResponse
from agent.sandbox.errors import conflict, validation
from agent.sandbox.pagination import QueryCursor, paginate
from agent.sandbox.params import BodyReader, q_enum, q_str, uuid_message
from agent.sandbox.records import ProjectRec
from agent.sandbox.state import SandboxState
from agent.sandbox.witness import Outcome

BRAND_VOICES = ("authentic", "witty", "professional", "warm", "casual", "educational")
TARGET_GENDERS = ("all", "female", "male")
# Fields create and PATCH both take: body key -> (record attribute, how it is read).
SHARED_FIELDS: dict[str, tuple[str, Callable[[BodyReader, str], Any]]] = {
    "ownerEmail": ("owner_email", lambda r, key: r.string(key, min_len=3, max_len=320)),
    "primaryLanguage": ("primary_language", lambda r, key: r.string(key, min_len=2, max_len=35)),
    "customerExternalId": ("customer_external_id", lambda r, key: r.string(key, min_len=1, max_len=255)),
    "appName": ("app_name", lambda r, key: r.string(key, min_len=3, max_len=30, nullable=True)),
    "appDescription": (
        "app_description",
        lambda r, key: r.string(key, min_len=100, max_len=1000, nullable=True),
    ),
    "tagline": ("tagline", lambda r, key: r.string(key, max_len=80)),
    "brandVoice": ("brand_voice", lambda r, key: r.enum(key, BRAND_VOICES)),
    "targetGender": ("target_gender", lambda r, key: r.enum(key, TARGET_GENDERS)),
    "metadata": ("metadata", lambda r, key: r.obj(key, nullable=True)),
}
CREATE_FIELDS = ("name", "timezone", "id", *SHARED_FIELDS)
PATCH_FIELDS = ("name", "status", "timezone", "brand", *SHARED_FIELDS)
LIST_ITEM_FIELDS = (
    "id",
    "name",
    "status",
    "customerExternalId",
    "timezone",
    "primaryLanguage",
    "ownerEmail",
    "createdAt",
    "updatedAt",
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
        "id": ids.encode("project", project.id),
        "organizationId": state.organization.id,
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


def _list_item(project: ProjectRec, state: SandboxState) -> dict[str, Any]:
    full = project_json(project, state)
    return {name: full[name] for name in LIST_ITEM_FIELDS}


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


def _shared_fields(reader: BodyReader) -> dict[str, Any]:
    """The shared fields present in the body, by record attribute."""
    return {attr: read(reader, key) for key, (attr, read) in SHARED_FIELDS.items() if reader.has(key)}


def create_project(req: ApiRequest, state: SandboxState) -> ApiResponse:
    reader = BodyReader(req.json_body(), CREATE_FIELDS)
    name = reader.string("name", required=True, min_len=3, max_len=30)
    timezone = _timezone(reader, required=True)
    raw_id = reader.string("id", min_len=1)
    fields = _shared_fields(reader)
    given_id = ids.decode_uuid("project", raw_id) if raw_id else None
    if raw_id and given_id is None:
        reader.issues.append(("id", uuid_message("project")))
    reader.done()
    project_id = given_id or ids.new_uuid()
    if project_id in state.projects:
        raise conflict("A project with this id already exists.", projectId=ids.encode("project", project_id))
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
    req.note(project_id=ids.encode("project", project_id))
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
    page = paginate(projects, req, QueryCursor(req), default_limit=25, max_limit=200)
    return ApiResponse(200, page.body(lambda project: _list_item(project, state)))


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
    updates = _shared_fields(reader)
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
    req.note(project_id=ids.encode("project", project.id))
    return ApiResponse(200, project_json(project, state))
