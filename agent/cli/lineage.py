"""Each source's clone lineage as ops read it (issue 15), under `agent clones` and at the end of the demo:
clone → review → schedule → publication → verdict, and each customer's hit rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.store.lineage import CloneLine, HitRate, PublicationLine


def _publication(pub: PublicationLine) -> str:
    parts = [pub.approval_status or "in review"]
    if pub.scheduled_for is not None:
        parts.append(f"scheduled {pub.scheduled_for:%Y-%m-%d %H:%M} UTC")
    if pub.posts:
        parts.append("posts " + ", ".join(pub.posts))
    return f"{pub.container_id}: {pub.status} ({'; '.join(parts)})"


def lines(found: Sequence[CloneLine], rates: Sequence[HitRate]) -> list[str]:
    """The lineage, one source at a time, then one hit-rate line per customer."""
    out: list[str] = []
    source = None
    for clone in found:
        if (clone.customer, clone.source_post_id) != source:
            source = (clone.customer, clone.source_post_id)
            out.append(f"{clone.customer}  {clone.source_post_id}")
        verdict = clone.verdict or "no verdict yet"
        if clone.lift_vs_median is not None:
            verdict += f" ({clone.lift_vs_median:+.0%} vs the median at cloning)"
        out.append(f"  clone {clone.container_id} of {clone.cloned_on}, {clone.status}: {verdict}")
        out.extend(f"    {_publication(pub)}" for pub in clone.publications)
    for rate in rates:
        shown = f"{rate.rate:.0%}" if rate.rate is not None else "n/a"
        out.append(
            f"{rate.customer}: hit rate {shown} ({rate.won} won, {rate.lost} lost of the last {rate.window} "
            f"decisive verdicts; {rate.inconclusive} inconclusive)"
        )
    return out


def rows(found: Sequence[CloneLine]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The lineage per (customer, source) for JSON and CSV."""
    by_source: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for clone in found:
        by_source.setdefault((clone.customer, clone.source_post_id), []).append(
            {
                "container_id": clone.container_id,
                "cloned_on": clone.cloned_on,
                "status": clone.status,
                "approval_status": clone.approval_status,
                "verdict": clone.verdict,
                "lift_vs_median": clone.lift_vs_median,
                "publications": [
                    {
                        "container_id": p.container_id,
                        "status": p.status,
                        "approval_status": p.approval_status,
                        "scheduled_for": p.scheduled_for,
                        "posts": list(p.posts),
                    }
                    for p in clone.publications
                ],
            }
        )
    return by_source
