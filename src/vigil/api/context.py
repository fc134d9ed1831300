"""What a request handler can reach: the services ``create_app`` wires together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from vigil.metrics import Metrics
from vigil.settings import Settings
from vigil.store.base import Store

if TYPE_CHECKING:
    from vigil.model.base import Resource


@dataclass
class Services:
    settings: Settings
    store: Store
    metrics: Metrics
    namespaces: Any = None  # vigil.api.namespace_cache.NamespaceCache
    auth: Any = None  # vigil.auth AuthServices
    authorizer: Any = None  # vigil.rbac.authorizer.Authorizer
    events: Any = None  # vigil.pipeline.eventd.EventProcessor
    pipeline: Any = None  # vigil.pipeline.runner.PipelineRunner
    jobs: Any = None  # vigil.pipeline.jobs.PeriodicJobs
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Target:
    """What the URL names: the resource type, namespace (None = all) and path values."""

    cls: type[Resource]
    namespace: str | None
    name: str | None
    params: dict[str, str]

    @property
    def kind(self) -> str:
        return self.cls.PLURAL


def services(request: Request) -> Services:
    svc: Services = request.app.state.vigil
    return svc


def caller(request: Request) -> str:
    """The authenticated username ('' before authentication exists for a route)."""
    identity = request.scope.get("vigil.identity")
    return getattr(identity, "username", "") if identity is not None else ""
