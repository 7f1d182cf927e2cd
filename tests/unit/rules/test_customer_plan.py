"""What import and sync would change: adds, updates of changed fields only, clashes, never a delete."""

from __future__ import annotations

from datetime import time

from agent.domain.records import CustomerRecord
from agent.domain.vocabulary import CustomerMode, Stage
from agent.rules.customer_plan import ProjectSeen, plan_import, plan_sync
from agent.rules.customer_rows import CustomerRow, Defaults
from agent.rules.thresholds import Thresholds

DEFAULTS = Defaults(Thresholds(), time(6, 0))


def project(
    k: int, *, tz: str | None = "Europe/Berlin", ext: str | None = None, active: bool = True
) -> ProjectSeen:
    return ProjectSeen(f"prj_{k:08d}-0000-4000-8000-000000000000", f"Project {k}", tz, ext, active)


def customer(k: int, **fields: object) -> CustomerRecord:
    base: dict[str, object] = {
        "id": 100 + k,
        "layers_project_id": f"prj_{k:08d}-0000-4000-8000-000000000000",
        "name": f"Customer {k}",
        "timezone": "Europe/Berlin",
    }
    return CustomerRecord(**{**base, **fields})


def row(k: int, line: int = 2, **fields: object) -> CustomerRow:
    return CustomerRow(
        line=line, project_id=f"{k:08d}-0000-4000-8000-000000000000", name=f"Customer {k}", **fields
    )


def test_import_adds_new_rows_with_the_project_timezone_and_external_id_as_defaults():
    plan = plan_import(
        [row(1), row(2, timezone="UTC", stage=Stage.MATURE)],
        [project(1, ext="one"), project(2)],
        [],
        DEFAULTS,
    )
    assert plan.errors == ()
    first, second = plan.adds
    # Stored under Layers' own spelling of the id, whatever spelling the file used.
    assert (first.layers_project_id, first.timezone, first.external_id) == (
        project(1).project_id,
        "Europe/Berlin",
        "one",
    )
    assert (first.stage, first.mode, first.run_at) == (Stage.EARLY, CustomerMode.ACTIVE, time(6, 0))
    assert (second.timezone, second.stage) == ("UTC", Stage.MATURE)


def test_import_updates_only_the_fields_a_row_gives_and_counts_the_rest_unchanged():
    stored = customer(1, stage=Stage.GROWTH, run_at=time(7, 0), threshold_overrides={"min_views": 80})
    same = customer(2)
    plan = plan_import(
        [row(1, mode=CustomerMode.SHADOW), row(2)], [project(1), project(2)], [stored, same], DEFAULTS
    )
    (update,) = plan.updates
    assert (update.customer_id, dict(update.changes)) == (
        101,
        {"mode": (CustomerMode.ACTIVE, CustomerMode.SHADOW)},
    )
    assert (plan.adds, plan.unchanged) == ((), 1)


def test_import_refuses_projects_layers_does_not_list_and_names_held_by_another_customer():
    other = customer(9, name="Taken", external_id="ext-9")
    plan = plan_import(
        [
            row(1),
            CustomerRow(line=3, project_id=project(2).project_id, name="Taken"),
            row(3, line=4, external_id="ext-9"),
        ],
        [project(2), project(3)],
        [other],
        DEFAULTS,
    )
    assert plan.adds == ()
    assert [str(error) for error in plan.errors] == [
        "line 2, project_id: Layers lists no project '00000001-0000-4000-8000-000000000000' for this key",
        "line 3, name: 'Taken' is another customer's name",
        "line 4, external_id: 'ext-9' is another customer's external id",
    ]


def test_import_without_a_timezone_needs_a_usable_one_on_the_project():
    plan = plan_import([row(1)], [project(1, tz="Mars/Olympus")], [], DEFAULTS)
    (error,) = plan.errors
    assert str(error).startswith("line 2, timezone: not given, and the project's is unusable")


def test_sync_adds_new_projects_updates_timezone_and_external_id_and_never_deletes():
    moved = customer(1, timezone="UTC", external_id=None, stage=Stage.MATURE)
    gone = customer(7)  # Layers no longer lists it: kept
    plan = plan_sync(
        [project(1, tz="Asia/Tokyo", ext="acme"), project(2, ext="two"), project(3, active=False)],
        [moved, gone],
        DEFAULTS,
    )
    (update,) = plan.updates
    assert dict(update.changes) == {"timezone": ("UTC", "Asia/Tokyo"), "external_id": (None, "acme")}
    (added,) = plan.adds  # the archived project is not added
    assert (added.name, added.timezone, added.external_id, added.stage) == (
        "Project 2",
        "Europe/Berlin",
        "two",
        Stage.EARLY,
    )
    assert (plan.kept, plan.unchanged, plan.errors) == (1, 0, ())


def test_sync_a_second_time_changes_nothing():
    first = plan_sync([project(1, ext="a")], [], DEFAULTS)
    (added,) = first.adds
    stored = customer(1, name=added.name, timezone=added.timezone, external_id=added.external_id)
    again = plan_sync([project(1, ext="a")], [stored], DEFAULTS)
    assert (again.adds, again.updates, again.unchanged) == ((), (), 1)


def test_sync_keeps_names_unique_and_reports_each_bad_project_on_its_own_line():
    plan = plan_sync(
        [
            project(1),
            ProjectSeen(project(2).project_id, "Project 1", "UTC", None),
            project(3, tz=None),
            project(4, ext="x"),
        ],
        [customer(9, external_id="x")],
        DEFAULTS,
    )
    assert [added.name for added in plan.adds] == ["Project 1", f"Project 1 ({project(2).project_id})"]
    assert [error.where for error in plan.errors] == [project(3).project_id, project(4).project_id]
    assert [error.field for error in plan.errors] == ["timezone", "external_id"]
