"""The seam between the check scheduler and the agent transport.

The transport (``vigil.agentd``) owns the sessions of the agents connected to *this* backend;
the scheduler (``vigil.schedulerd``) decides what to run and when. The scheduler only sees this
interface, so it never holds a session, and a stalled agent can never hold the scheduler:
sending only queues, and a full queue drops (counted and logged by the transport).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol


class AgentSessions(Protocol):
    """The agents connected to this backend, by namespace and subscription."""

    def subscribed(self, namespace: str, subscription: str) -> Sequence[str]:
        """Names of the connected agents in ``namespace`` that hold ``subscription``, sorted."""
        ...

    def send(self, namespace: str, agent: str, message_type: str, payload: bytes) -> bool:
        """Queue one message (``payload`` is its JSON) for ``agent``'s session.

        False when the agent is not connected here or its send queue is full (dropped).
        """
        ...

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(namespace)`` when an agent connects, leaves, or its subscriptions
        change, so the scheduler can refresh what it schedules."""
        ...
