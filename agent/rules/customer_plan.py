"""Which customers to add or change, from an import file's rows or from Layers' project list: pure.

`agent customers import FILE` adds the rows no customer has and updates the ones that differ, and every
row's project must be one Layers lists for this key; `agent customers sync` takes each Layers project's
timezone and customerExternalId, adds the projects no customer has and updates the ones that changed; it
never deletes. Project ids are compared without their prefix (`prj_…` and the bare UUID name the same
project), and no name or external id ends up on two customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from agent.domain.ids import bare_id
from agent.domain.records import CustomerRecord
from agent.domain.vocabulary import CustomerMode, Stage
from agent.rules.customer_rows import NAME_MAX, CustomerRow, Defaults, RowError
from agent.rules.schedule import validate_timezone


@dataclass(frozen=True)
class ProjectSeen:
    """A project as `GET /v1/projects` lists it."""

    project_id: str
    name: str
    timezone: str | None
    external_id: str | None
    active: bool = True


@dataclass(frozen=True)
class CustomerFields:
    """Everything a customer row holds, resolved (what `add` stores)."""

    layers_project_id: str
    name: str
    timezone: str
    stage: Stage
    external_id: str | None
    run_at: time
    mode: CustomerMode
    threshold_overrides: dict[str, Any]
    auto_approve_kinds: tuple[str, ...]


@dataclass(frozen=True)
class Update:
    customer_id: int
    name: str
    changes: Mapping[str, tuple[Any, Any]]  # field -> (stored value, new value)


@dataclass(frozen=True)
class Plan:
    adds: tuple[CustomerFields, ...] = ()
    updates: tuple[Update, ...] = ()
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()
    kept: int = 0  # customers whose project Layers did not list (sync never deletes)

    @property
    def empty(self) -> bool:
        return not self.adds and not self.updates


def plan_import(
    rows: Sequence[CustomerRow],
    projects: Sequence[ProjectSeen],
    existing: Sequence[CustomerRecord],
    defaults: Defaults,
) -> Plan:
    """Add the rows no customer has, update the ones that differ; every project must be listed by Layers."""
    listed = {bare_id(p.project_id): p for p in projects}
    by_project = {bare_id(c.layers_project_id): c for c in existing}
    errors: list[RowError] = []
    wanted: list[tuple[CustomerFields, CustomerRecord | None, str]] = []
    for row in rows:
        where = f"line {row.line}"
        project = listed.get(bare_id(row.project_id))
        if project is None:
            errors.append(
                RowError(where, "project_id", f"Layers lists no project {row.project_id!r} for this key")
            )
            continue
        current = by_project.get(bare_id(project.project_id))
        try:
            timezone = row.timezone or (
                current.timezone if current else validate_timezone(project.timezone or "")
            )
        except ValueError as exc:
            errors.append(RowError(where, "timezone", f"not given, and the project's is unusable: {exc}"))
            continue
        wanted.append(
            (_fields(row, project.project_id, timezone, current, project, defaults), current, where)
        )
    return _plan(wanted, existing, errors, kept=0)


def plan_sync(
    projects: Sequence[ProjectSeen], existing: Sequence[CustomerRecord], defaults: Defaults
) -> Plan:
    """Each active project's timezone and external id: new projects added, changed ones updated."""
    by_project = {bare_id(c.layers_project_id): c for c in existing}
    errors: list[RowError] = []
    wanted: list[tuple[CustomerFields, CustomerRecord | None, str]] = []
    names = {c.name for c in existing}
    for project in projects:
        current = by_project.get(bare_id(project.project_id))
        if current is None and not project.active:
            continue
        try:
            timezone = validate_timezone(project.timezone or "")
        except ValueError as exc:
            errors.append(RowError(project.project_id, "timezone", str(exc)))
            continue
        if current is not None:
            fields = _record_fields(
                current, timezone=timezone, external_id=project.external_id or current.external_id
            )
        else:
            name = _free_name(project, names)
            names.add(name)
            row = CustomerRow(line=0, project_id=project.project_id, name=name)
            fields = _fields(row, project.project_id, timezone, None, project, defaults)
        wanted.append((fields, current, project.project_id))
    listed = {bare_id(p.project_id) for p in projects}
    kept = sum(1 for c in existing if bare_id(c.layers_project_id) not in listed)
    return _plan(wanted, existing, errors, kept=kept)


def _fields(
    row: CustomerRow,
    project_id: str,
    timezone: str,
    current: CustomerRecord | None,
    project: ProjectSeen,
    defaults: Defaults,
) -> CustomerFields:
    """The row over the customer's stored values (or the defaults for a new one)."""
    base = (
        _record_fields(current)
        if current is not None
        else CustomerFields(
            layers_project_id=project_id,
            name=row.name,
            timezone=timezone,
            stage=Stage.EARLY,
            external_id=project.external_id,
            run_at=defaults.run_at,
            mode=CustomerMode.ACTIVE,
            threshold_overrides={},
            auto_approve_kinds=(),
        )
    )
    return CustomerFields(
        layers_project_id=base.layers_project_id,
        name=row.name,
        timezone=timezone,
        stage=row.stage or base.stage,
        external_id=row.external_id or base.external_id,
        run_at=row.run_at or base.run_at,
        mode=row.mode or base.mode,
        threshold_overrides=row.overrides if row.overrides is not None else base.threshold_overrides,
        auto_approve_kinds=row.auto_approve if row.auto_approve is not None else base.auto_approve_kinds,
    )


def _record_fields(record: CustomerRecord, **changes: Any) -> CustomerFields:
    fields = CustomerFields(
        layers_project_id=record.layers_project_id,
        name=record.name,
        timezone=record.timezone,
        stage=record.stage,
        external_id=record.external_id,
        run_at=record.run_at,
        mode=record.mode,
        threshold_overrides=dict(record.threshold_overrides),
        auto_approve_kinds=tuple(sorted(record.auto_approve_kinds)),
    )
    return CustomerFields(**{**vars(fields), **changes})


def _free_name(project: ProjectSeen, taken: set[str]) -> str:
    """The project's name, or with its id appended when another customer already has that name."""
    name = project.name.strip()[:NAME_MAX] or project.project_id
    return name if name not in taken else f"{name[: NAME_MAX - 45]} ({project.project_id})"


@dataclass
class _Owners:
    """Who holds each unique name and external id once the plan is applied."""

    names: dict[str, str] = field(default_factory=dict)
    external_ids: dict[str, str] = field(default_factory=dict)


def _plan(
    wanted: Sequence[tuple[CustomerFields, CustomerRecord | None, str]],
    existing: Sequence[CustomerRecord],
    errors: list[RowError],
    *,
    kept: int,
) -> Plan:
    owners = _Owners(
        {c.name: bare_id(c.layers_project_id) or "" for c in existing},
        {c.external_id: bare_id(c.layers_project_id) or "" for c in existing if c.external_id},
    )
    adds: list[CustomerFields] = []
    updates: list[Update] = []
    unchanged = 0
    for fields, current, where in wanted:
        project = bare_id(fields.layers_project_id) or ""
        clash = _clash(fields, project, owners)
        if clash is not None:
            errors.append(RowError(where, *clash))
            continue
        owners.names[fields.name] = project
        if fields.external_id:
            owners.external_ids[fields.external_id] = project
        if current is None:
            adds.append(fields)
            continue
        before = vars(_record_fields(current))
        changes = {key: (before[key], value) for key, value in vars(fields).items() if before[key] != value}
        if changes:
            updates.append(Update(current.id, current.name, changes))
        else:
            unchanged += 1
    return Plan(tuple(adds), tuple(updates), unchanged, tuple(errors), kept)


def _clash(fields: CustomerFields, project: str, owners: _Owners) -> tuple[str, str] | None:
    holder = owners.names.get(fields.name)
    if holder is not None and holder != project:
        return "name", f"{fields.name!r} is another customer's name"
    holder = owners.external_ids.get(fields.external_id) if fields.external_id else None
    if holder is not None and holder != project:
        return "external_id", f"{fields.external_id!r} is another customer's external id"
    return None
