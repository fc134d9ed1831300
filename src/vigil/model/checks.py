"""CheckConfig (``checks``) and Check, the configuration-plus-result carried by events.

Field order follows Sensu's Go structs so rendered JSON reads the same. ``handlers``,
``subscriptions`` and ``pipelines`` always render as arrays (Sensu's custom marshalling);
pipeline references default to ``core/v2`` ``Pipeline`` on decode, as Sensu does on output.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec

from vigil.model.base import Access, Columns, ObjectMeta, Resource
from vigil.model.common import (
    MetricTag,
    ResourceReference,
    Secret,
    TimeWindowRepeated,
    TimeWindowWhen,
    cron_error,
    validate_env_vars,
    validate_expressions,
    validate_subdues,
)
from vigil.model.hooks import Hook, HookList, validate_hook_lists
from vigil.model.meta import (
    Int64,
    UInt32,
    check_asset_names,
    check_name,
    fail,
    join,
    meta_fields,
    new_meta,
    require_namespace,
    shown,
    shown_list,
    shown_none,
    text,
)

OUTPUT_METRIC_FORMATS = frozenset(
    {"nagios_perfdata", "graphite_plaintext", "opentsdb_line", "influxdb_line", "prometheus_text"}
)


class ProxyRequests(msgspec.Struct, kw_only=True):
    entity_attributes: list[str] | None = shown_none()
    splay: bool = shown(bool)
    splay_coverage: UInt32 = shown(int)

    def validate(self) -> None:
        if self.splay_coverage > 100:
            fail("proxy request splay coverage must be between 0 and 100")
        if self.splay and self.splay_coverage == 0:
            fail("proxy request splay coverage must be greater than 0 if splay is enabled")
        validate_expressions(self.entity_attributes, "entity attributes")


class MetricThresholdRule(msgspec.Struct, kw_only=True, omit_defaults=True):
    min: str = ""
    max: str = ""
    status: UInt32 = shown(int)


class MetricThreshold(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str = shown(str)
    tags: list[MetricTag] = msgspec.field(default_factory=list)
    null_status: UInt32 = shown(int)
    thresholds: list[MetricThresholdRule] | None = shown_none()

    def problem(self) -> str | None:
        if not self.name:
            return "metric threshold name must be set"
        if not self.thresholds:
            return f"metric threshold {self.name} must have at least one threshold"
        for rule in self.thresholds:
            if not rule.min and not rule.max:
                return f"metric threshold {self.name} rules need a min or a max"
        return None


class CheckHistory(msgspec.Struct, kw_only=True):
    status: UInt32 = shown(int)
    executed: Int64 = shown(int)


class CheckConfig(Resource, kw_only=True, omit_defaults=True):
    TYPE: ClassVar[str] = "CheckConfig"
    PLURAL: ClassVar[str] = "checks"
    FIELD_PREFIX: ClassVar[str] = "check"
    CLI_NAME: ClassVar[str] = "check"
    CLI_COLUMNS: ClassVar[Columns] = (
        ("Name", "@name"),
        ("Command", "command"),
        ("Interval", "interval"),
        ("Cron", "cron"),
        ("Timeout", "timeout"),
        ("TTL", "ttl"),
        ("Subscriptions", "subscriptions"),
        ("Handlers", "handlers"),
        ("Assets", "runtime_assets"),
        ("Hooks", "@check_hooks"),
        ("Publish?", "publish"),
        ("Stdin?", "stdin"),
        ("Metric Format", "output_metric_format"),
        ("Metric Handlers", "output_metric_handlers"),
    )
    NAMESPACE_CONTENT: ClassVar[bool] = True
    DEFAULT_ACCESS: ClassVar[Access] = "edit"
    REVEALS_NAMESPACES: ClassVar[bool] = True
    SUBRESOURCES: ClassVar[tuple[str, ...]] = ("hooks", "execute")

    command: str = ""
    handlers: list[str] = shown_list()
    high_flap_threshold: UInt32 = shown(int)
    interval: UInt32 = shown(int)
    low_flap_threshold: UInt32 = shown(int)
    publish: bool = shown(bool)
    runtime_assets: list[str] | None = shown_none()
    subscriptions: list[str] = shown_list()
    proxy_entity_name: str = shown(str)
    check_hooks: list[HookList] | None = shown_none()
    stdin: bool = shown(bool)
    subdue: TimeWindowWhen | None = shown_none()
    cron: str = ""
    ttl: Int64 = shown(int)
    timeout: UInt32 = shown(int)
    proxy_requests: ProxyRequests | None = None
    round_robin: bool = shown(bool)
    output_metric_format: str = shown(str)
    output_metric_handlers: list[str] | None = shown_none()
    env_vars: list[str] | None = shown_none()
    metadata: ObjectMeta = new_meta()
    max_output_size: Int64 = 0
    discard_output: bool = False
    secrets: list[Secret] | None = shown_none()
    output_metric_tags: list[MetricTag] = msgspec.field(default_factory=list)
    pipelines: list[ResourceReference] = shown_list()
    output_metric_thresholds: list[MetricThreshold] = msgspec.field(default_factory=list)
    subdues: list[TimeWindowRepeated] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        default_pipeline_refs(self.pipelines)

    def validate(self) -> None:
        check_name("check", self.metadata.name)
        if self.cron:
            if self.interval > 0:
                fail("must only specify either an interval or a cron schedule")
            check_cron(self.cron)
        if self.interval == 0 and not self.cron:
            fail("check interval must be greater than 0 or a valid cron schedule must be provided")
        require_namespace(self.metadata)
        if self.ttl > 0 and self.ttl <= self.interval:
            fail("ttl must be greater than check interval")
        validate_shared_rules(self)

    def fields(self) -> dict[str, str]:
        fields = meta_fields(self.FIELD_PREFIX, self.metadata)
        fields.update(
            {
                "check.handlers": join(self.handlers),
                "check.publish": text(self.publish),
                "check.round_robin": text(self.round_robin),
                "check.runtime_assets": join(self.runtime_assets),
                "check.subscriptions": join(self.subscriptions),
                "check.pipelines": join(ref.resource_id() for ref in self.pipelines),
            }
        )
        return fields


class Check(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A check inside an event: every CheckConfig field plus the execution result."""

    command: str = ""
    handlers: list[str] = shown_list()
    high_flap_threshold: UInt32 = shown(int)
    interval: UInt32 = shown(int)
    low_flap_threshold: UInt32 = shown(int)
    publish: bool = shown(bool)
    runtime_assets: list[str] | None = shown_none()
    subscriptions: list[str] = shown_list()
    proxy_entity_name: str = shown(str)
    check_hooks: list[HookList] | None = shown_none()
    stdin: bool = shown(bool)
    subdue: TimeWindowWhen | None = shown_none()
    cron: str = ""
    ttl: Int64 = shown(int)
    timeout: UInt32 = shown(int)
    proxy_requests: ProxyRequests | None = None
    round_robin: bool = shown(bool)
    duration: float = 0.0
    executed: Int64 = shown(int)
    history: list[CheckHistory] | None = shown_none()
    issued: Int64 = shown(int)
    output: str = shown(str)
    state: str = ""
    status: UInt32 = shown(int)
    total_state_change: UInt32 = shown(int)
    last_ok: Int64 = shown(int)
    occurrences: Int64 = shown(int)
    occurrences_watermark: Int64 = shown(int)
    silenced: list[str] = msgspec.field(default_factory=list)
    hooks: list[Hook] = msgspec.field(default_factory=list)
    output_metric_format: str = shown(str)
    output_metric_handlers: list[str] | None = shown_none()
    env_vars: list[str] | None = shown_none()
    metadata: ObjectMeta = new_meta()
    max_output_size: Int64 = 0
    discard_output: bool = False
    secrets: list[Secret] | None = shown_none()
    is_silenced: bool = shown(bool)
    output_metric_tags: list[MetricTag] = msgspec.field(default_factory=list)
    scheduler: str = shown(str)
    processed_by: str = ""
    pipelines: list[ResourceReference] = shown_list()
    output_metric_thresholds: list[MetricThreshold] = msgspec.field(default_factory=list)
    subdues: list[TimeWindowRepeated] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        default_pipeline_refs(self.pipelines)

    def validate(self) -> None:
        """Sensu's rules for a check result: schedule rules apply to published checks only."""
        check_name("check", self.metadata.name)
        if self.publish:
            if self.cron:
                if self.interval > 0:
                    fail("must only specify either an interval or a cron schedule")
                check_cron(self.cron)
            elif self.interval < 1:
                fail("check interval must be greater than or equal to 1")
        if self.ttl > 0 and self.ttl <= self.interval:
            fail("ttl must be greater than check interval")
        if 0 < self.ttl < 5:
            fail("minimum ttl is 5 seconds")
        if self.max_output_size < 0:
            fail("MaxOutputSize must be >= 0")
        for threshold in self.output_metric_thresholds:
            reason = threshold.problem()
            if reason:
                fail(reason)
        validate_shared_rules(self)


def default_pipeline_refs(refs: list[ResourceReference]) -> None:
    for ref in refs:
        ref.api_version = ref.api_version or "core/v2"
        ref.type = ref.type or "Pipeline"


def check_cron(expression: str) -> None:
    reason = cron_error(expression)
    if reason:
        fail(f"check cron string is invalid: {reason}")


def validate_pipeline_refs(refs: list[ResourceReference]) -> None:
    """Checks and events may only point at ``core/v2`` Pipelines."""
    for ref in refs:
        reason = ref.problem()
        if reason is None and (ref.api_version, ref.type) != ("core/v2", "Pipeline"):
            reason = (
                f"resource type not capable of acting as a pipeline: {ref.api_version}.{ref.type}"
            )
        if reason:
            fail(f"pipeline reference is invalid: {reason}")


def validate_shared_rules(check: CheckConfig | Check) -> None:
    """The rules CheckConfig and Check share, in Sensu's order."""
    check_asset_names(check.runtime_assets)
    if any(subscription == "" for subscription in check.subscriptions):
        fail("subscriptions cannot be empty strings")
    if check.proxy_entity_name:
        check_name("proxy entity", check.proxy_entity_name)
    if check.proxy_requests is not None:
        check.proxy_requests.validate()
    if check.output_metric_format and check.output_metric_format not in OUTPUT_METRIC_FORMATS:
        fail("output metric format is not valid")
    low, high = check.low_flap_threshold, check.high_flap_threshold
    if low and high and low >= high:
        fail("invalid flap thresholds")
    validate_env_vars(check.env_vars)
    validate_subdues(check.subdues)
    validate_pipeline_refs(check.pipelines)
    if check.subdue is not None:
        check.subdue.validate()
    validate_hook_lists(check.check_hooks)
