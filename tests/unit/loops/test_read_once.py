"""Each thing read once per customer-day, on the fakes: publish-to-learn reads the ranking and the whole pool
and keeps them with its run; the same local date's optimization run takes them from there. Either loop
alone, or out of order, still reads what it needs."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agent.domain.evidence import PoolCheck, PublishSummary, StageTopRow
from agent.domain.run_inputs import PublishInput
from agent.domain.vocabulary import Action, LoopName, Reason, Stage
from agent.layers.models import TopPerformer
from agent.loops import catalog
from agent.loops.runner import Ended
from tests.support.fakes import Clock, FakeDeps, FakeLayers, FakeProject, Memory, fake_settings
from tests.support.layers_rows import ads_content

PROJECT = "prj_pets"
START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)  # 12:00 in Chicago
READS = {"top_performers", "ads_content", "ads_metrics", "recommendations", "metrics"}


def row(post: str, engagement: float, *, title: str | None, conversions: float | None = None) -> TopPerformer:
    paid = None if conversions is None else {"spend": 10.0, "conversions": conversions, "roas": 2.0}
    return TopPerformer.model_validate(
        {
            "rank": 1,
            "platformPostId": post,
            "title": title,
            "metricValue": engagement,
            "organic": {"views": 1000, "engagementRate": engagement},
            "paid": paid,
        }
    )


# By engagement "pp_viral" leads; by conversions "pp_seller" does; "pp_legal" converts most but is excluded.
RANKING = [
    row("pp_viral", 0.09, title="Viral dance", conversions=1),
    row("pp_legal", 0.05, title="Flagged music", conversions=40),
    row("pp_seller", 0.03, title="Best seller", conversions=12),
    row("pp_quiet", 0.02, title=None),
]


def pets(*, stage: Stage = Stage.GROWTH, eligible: int = 1) -> FakeDeps:
    memory = Memory()
    memory.add_customer(layers_project_id=PROJECT, name="Pixel Pets", timezone="America/Chicago", stage=stage)
    pool = [ads_content(f"adc_{i}", eligible=i < eligible) for i in range(4)]
    pool.append(ads_content("adc_legal", override="exclude", post_id="pp_legal", eligible=False))
    project = FakeProject(top=RANKING, ads_content=pool)
    return FakeDeps(fake_settings(), FakeLayers({PROJECT: project}), memory, Clock(START))


def run(deps: FakeDeps, loop: LoopName, day: datetime = START) -> Ended:
    customer = next(iter(deps.memory.customers.values()))
    return catalog.run(deps, deps.memory.add_run(customer, loop, day.date())).status


def reads(deps: FakeDeps) -> Counter[str]:
    counted = Counter(call for call in deps.client.calls if call in READS)
    deps.client.calls.clear()
    return counted


def pool_check(deps: FakeDeps) -> tuple[Action, Reason, PoolCheck]:
    (decision,) = [
        d for d in deps.memory.decisions.values() if d.subject.id == PROJECT and d.loop == "optimization"
    ]
    assert isinstance(decision.evidence, PoolCheck)
    return decision.action, decision.reason, replace(decision.evidence, container_id=None)


def test_publish_to_learn_reads_the_ranking_and_the_pool_once_and_keeps_both():
    deps = pets()
    assert run(deps, LoopName.PUBLISH_TO_LEARN) is Ended.SUCCEEDED
    assert reads(deps) == {"top_performers": 1, "ads_content": 1}
    (record,) = deps.memory.run_inputs.values()
    assert isinstance(record, PublishInput)
    assert record.pool is not None
    assert len(record.pool) == 5
    assert [item.post_id for item in record.pool if item.excluded] == ["pp_legal"]
    assert [(seen.post_id, seen.title, seen.conversions) for seen in record.posts][:2] == [
        ("pp_viral", "Viral dance", 1),
        ("pp_legal", "Flagged music", 40),
    ]


def test_the_stage_top_three_come_from_the_rows_paid_numbers_not_a_second_ranking():
    deps = pets(stage=Stage.GROWTH)
    run(deps, LoopName.PUBLISH_TO_LEARN)
    assert reads(deps)["top_performers"] == 1
    (summary,) = [
        d.evidence for d in deps.memory.decisions.values() if isinstance(d.evidence, PublishSummary)
    ]
    assert summary.stage_metric == "conversions"
    # Ranked by conversions; the row without paid numbers has none, so it is left out (as Layers would).
    assert summary.top == (
        StageTopRow("pp_legal", "Flagged music", "conversions", 40),
        StageTopRow("pp_seller", "Best seller", "conversions", 12),
        StageTopRow("pp_viral", "Viral dance", "conversions", 1),
    )


def test_optimization_after_publish_to_learn_reads_neither_the_pool_nor_the_ranking_again():
    deps = pets(eligible=1)  # thin: the hook source is needed
    run(deps, LoopName.PUBLISH_TO_LEARN)
    reads(deps)
    assert run(deps, LoopName.OPTIMIZATION) is Ended.SUCCEEDED
    assert reads(deps) == {"ads_metrics": 1, "recommendations": 1, "metrics": 1}
    action, reason, evidence = pool_check(deps)
    # The best converter is excluded by override, so the hook is the next one by the growth stage metric.
    assert (action, reason) == (Action.COMMISSION, Reason.THIN_CREATIVE_POOL)
    assert (evidence.eligible_count, evidence.hook, evidence.hook_source_post_id) == (
        1,
        "Best seller",
        "pp_seller",
    )


@pytest.mark.parametrize("eligible", [1, 3], ids=["thin", "healthy"])
def test_optimization_alone_decides_the_same_from_its_own_reads(eligible):
    alone, after = pets(eligible=eligible), pets(eligible=eligible)
    run(after, LoopName.PUBLISH_TO_LEARN)
    run(after, LoopName.OPTIMIZATION)
    assert run(alone, LoopName.OPTIMIZATION) is Ended.SUCCEEDED
    # Alone it reads the pool, and the ranking only when the pool is thin (the hook source).
    thin = eligible < alone.settings.min_eligible_pool
    assert reads(alone) == {
        "ads_metrics": 1,
        "ads_content": 1,
        "recommendations": 1,
        "metrics": 1,
        **({"top_performers": 1} if thin else {}),
    }
    assert pool_check(alone) == pool_check(after)
    (snapshot_alone,) = alone.memory.snapshots.values()
    (snapshot_after,) = after.memory.snapshots.values()
    assert snapshot_alone == snapshot_after


def test_an_early_customer_hooks_on_engagement_and_a_titleless_metric_falls_back_to_it():
    deps = pets(stage=Stage.EARLY, eligible=0)
    run(deps, LoopName.PUBLISH_TO_LEARN)
    run(deps, LoopName.OPTIMIZATION)
    assert pool_check(deps)[2].hook == "Viral dance"


def test_a_record_of_another_local_date_is_not_reused():
    deps = pets()
    run(deps, LoopName.PUBLISH_TO_LEARN, START - timedelta(days=1))
    reads(deps)
    run(deps, LoopName.OPTIMIZATION)
    assert reads(deps)["ads_content"] == 1


def test_optimization_before_publish_to_learn_reads_for_itself_and_both_still_work():
    deps = pets()
    assert run(deps, LoopName.OPTIMIZATION) is Ended.SUCCEEDED
    assert run(deps, LoopName.PUBLISH_TO_LEARN) is Ended.SUCCEEDED
    assert reads(deps) == {
        "ads_metrics": 1,
        "ads_content": 2,
        "top_performers": 2,
        "recommendations": 1,
        "metrics": 1,
    }
