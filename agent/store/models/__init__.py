"""The agent's memory: customers, runs, decisions, clones, commissions, jobs, recommendations, approvals.

The invariants that matter live here as constraints, so that no interleaving of workers can break them:
one run per (customer, loop, local date); at most five live clones per source post (a clone holds one
of five numbered slots); a container id or an idempotency key is used once.
"""

from agent.store.models.base import NAMING, Base, UTCDateTime
from agent.store.models.customers import Customer, Heartbeat, Run, RunAttempt, RunCall, RunInput
from agent.store.models.decisions import (
    VOCABULARY_TABLES,
    Decision,
    DecisionAction,
    DecisionReason,
    SubjectKind,
)
from agent.store.models.publishing import CloneOutcome, Publication, ScheduledPost
from agent.store.models.signals import HealthSignal, Notification, WebhookEvent
from agent.store.models.work import (
    Approval,
    Clone,
    Commission,
    Job,
    OrganicSnapshot,
    Recommendation,
    SubmittedWork,
)

__all__ = [
    "NAMING",
    "VOCABULARY_TABLES",
    "Approval",
    "Base",
    "Clone",
    "CloneOutcome",
    "Commission",
    "Customer",
    "Decision",
    "DecisionAction",
    "DecisionReason",
    "HealthSignal",
    "Heartbeat",
    "Job",
    "Notification",
    "OrganicSnapshot",
    "Publication",
    "Recommendation",
    "Run",
    "RunAttempt",
    "RunCall",
    "RunInput",
    "ScheduledPost",
    "SubjectKind",
    "SubmittedWork",
    "UTCDateTime",
    "WebhookEvent",
]
