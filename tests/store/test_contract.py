"""The store contract: every backend passes exactly this suite (``store`` is parametrised)."""

from __future__ import annotations

import asyncio
import random

import orjson
import pytest
from tests.store.conftest import StoreOpener

from vigil.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    PreconditionFailed,
    VigilError,
)
from vigil.store.base import Delete, ListQuery, Put, Record, Store

pytestmark = pytest.mark.anyio

NS = "default"


def check(name: str, namespace: str = NS, **kw: object) -> Put:
    value = orjson.dumps({"metadata": {"name": name, "namespace": namespace}})
    return Put("checks", namespace, name, value, **kw)  # type: ignore[arg-type]


async def names(store: Store, query: ListQuery) -> list[tuple[str, str]]:
    return [(r.namespace, r.name) for r in await store.list(query)]


# --- point reads and writes -------------------------------------------------------------------


async def test_put_then_get_returns_the_bytes_and_the_revision(store: Store) -> None:
    op = check("disk")
    revision = await store.apply([op])
    record = await store.get("checks", NS, "disk")
    assert record == Record("checks", NS, "disk", revision, op.value)
    assert await store.get("checks", NS, "other") is None
    assert await store.get("checks", "elsewhere", "disk") is None
    assert await store.get("handlers", NS, "disk") is None


async def test_get_many_is_get_of_each_key_in_order(store: Store) -> None:
    await store.apply([check("disk"), event("web", "cpu")])
    keys = [("events", NS, "web/cpu"), ("checks", NS, "nope"), ("events", NS, "bad-name"),
            ("checks", NS, "disk"), ("events", NS, "web/cpu")]  # fmt: skip
    assert await store.get_many(keys) == [await store.get(*key) for key in keys]
    assert [r is not None for r in await store.get_many(keys)] == [True, False, False, True, True]
    assert await store.get_many([]) == []


async def test_create_conflicts_with_an_existing_key(store: Store) -> None:
    await store.apply([check("disk", if_revision=0)])
    with pytest.raises(AlreadyExists):
        await store.apply([check("disk", if_revision=0)])


async def test_conditional_update(store: Store) -> None:
    first = await store.apply([check("disk")])
    second = await store.apply([check("disk", if_revision=first)])
    assert second > first
    with pytest.raises(PreconditionFailed):
        await store.apply([check("disk", if_revision=first)])
    with pytest.raises(NotFound):
        await store.apply([check("absent", if_revision=first)])
    record = await store.get("checks", NS, "disk")
    assert record is not None and record.revision == second


async def test_delete_semantics(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.apply([Delete("checks", NS, "disk")])
    await store.apply([Delete("checks", NS, "disk", missing_ok=True)])
    revision = await store.apply([check("disk")])
    with pytest.raises(PreconditionFailed):
        await store.apply([Delete("checks", NS, "disk", if_revision=revision + 1000)])
    await store.apply([Delete("checks", NS, "disk", if_revision=revision)])
    assert await store.get("checks", NS, "disk") is None


async def test_unconditional_put_replaces(store: Store) -> None:
    await store.apply([check("disk")])
    await store.apply([Put("checks", NS, "disk", b'{"v":2}')])
    record = await store.get("checks", NS, "disk")
    assert record is not None and record.value == b'{"v":2}'


# --- revisions and durability -----------------------------------------------------------------


async def test_revisions_strictly_increase_and_survive_reopen(open_backend: StoreOpener) -> None:
    store = await open_backend()
    revisions = [await store.apply([check(f"c{i}")]) for i in range(5)]
    assert revisions == sorted(set(revisions))
    await store.close()

    reopened = await open_backend()
    assert [r.name for r in await reopened.list(ListQuery("checks"))] == [f"c{i}" for i in range(5)]
    assert await reopened.apply([check("after")]) > revisions[-1]
    record = await reopened.get("checks", NS, "c4")
    assert record is not None and record.revision == revisions[-1]


async def test_one_batch_stamps_one_revision_and_runs_in_order(store: Store) -> None:
    revision = await store.apply(
        [check("a", if_revision=0), check("b", if_revision=0), Delete("checks", NS, "a")]
    )
    assert await store.get("checks", NS, "a") is None
    record = await store.get("checks", NS, "b")
    assert record is not None and record.revision == revision


# --- atomicity --------------------------------------------------------------------------------


async def test_a_failing_op_rolls_back_its_whole_batch(store: Store) -> None:
    await store.apply([check("taken")])
    with pytest.raises(AlreadyExists):
        await store.apply([check("new"), check("taken", if_revision=0)])
    assert await store.get("checks", NS, "new") is None
    assert await store.count("checks") == 1


async def test_failing_batches_do_not_affect_concurrent_ones(store: Store) -> None:
    await store.apply([check(f"taken{i}") for i in range(40)])

    async def batch(i: int) -> int:
        ops = [check(f"new{i}")]
        if i % 2:
            ops.append(check(f"taken{i}", if_revision=0))
        return await store.apply(ops)

    results = await asyncio.gather(*(batch(i) for i in range(40)), return_exceptions=True)
    for i, result in enumerate(results):
        stored = await store.get("checks", NS, f"new{i}")
        if i % 2:
            assert isinstance(result, AlreadyExists) and stored is None
        else:
            assert isinstance(result, int) and stored is not None and stored.revision == result


async def test_failing_one_op_batches_do_not_affect_concurrent_ones(store: Store) -> None:
    """One-op batches run without a savepoint on SQLite: a failed condition must still
    leave the row as it was and the batches committed with it untouched."""
    base = await store.apply([check(f"taken{i}") for i in range(40)])

    async def batch(i: int) -> int:
        if i % 4 == 1:
            return await store.apply([check(f"taken{i}", if_revision=0)])
        if i % 4 == 3:
            return await store.apply([check(f"taken{i}", if_revision=base + 1000)])
        return await store.apply([check(f"taken{i}", if_revision=base)])

    results = await asyncio.gather(*(batch(i) for i in range(40)), return_exceptions=True)
    for i, result in enumerate(results):
        stored = await store.get("checks", NS, f"taken{i}")
        assert stored is not None
        if i % 4 == 1:
            assert isinstance(result, AlreadyExists) and stored.revision == base
        elif i % 4 == 3:
            assert isinstance(result, PreconditionFailed) and stored.revision == base
        else:
            assert isinstance(result, int) and stored.revision == result


async def test_200_concurrent_applies_are_all_acknowledged_and_readable(store: Store) -> None:
    revisions = await asyncio.gather(*(store.apply([check(f"c{i:03}")]) for i in range(200)))
    assert len(set(revisions)) == 200
    records = await store.list(ListQuery("checks"))
    assert [r.name for r in records] == [f"c{i:03}" for i in range(200)]
    assert {r.revision for r in records} == set(revisions)


# --- lists ------------------------------------------------------------------------------------


async def test_list_orders_by_namespace_then_name_and_filters_namespace(store: Store) -> None:
    await store.apply([check(n, ns) for ns in ("b", "a") for n in ("y", "x", "X")])
    everything = await names(store, ListQuery("checks"))
    assert everything == [(ns, n) for ns in ("a", "b") for n in ("X", "x", "y")]
    assert await names(store, ListQuery("checks", namespace="b")) == [
        ("b", "X"),
        ("b", "x"),
        ("b", "y"),
    ]
    assert await names(store, ListQuery("checks", limit=0)) == everything
    assert await store.count("checks") == 6
    assert await store.count("checks", "a") == 3
    assert await store.count("handlers") == 0


async def test_keyset_pages_start_strictly_after(store: Store) -> None:
    await store.apply([check(f"c{i}", ns) for ns in ("a", "b") for i in range(5)])
    pages: list[list[tuple[str, str]]] = []
    after: tuple[str, str] | None = None
    while True:
        page = await names(store, ListQuery("checks", limit=3, after=after))
        if not page:
            break
        pages.append(page)
        after = page[-1]
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [item for page in pages for item in page] == await names(store, ListQuery("checks"))
    assert await names(store, ListQuery("checks", namespace="b", after=("b", "c3"))) == [
        ("b", "c4")
    ]


async def test_pagination_during_concurrent_writes_returns_stable_items_once(
    store: Store,
) -> None:
    stable = {f"s{i:03}" for i in range(0, 300, 2)}
    await store.apply([check(n) for n in stable])
    churn = [f"s{i:03}" for i in range(1, 300, 2)]
    done = asyncio.Event()

    async def writer() -> None:
        rng = random.Random(7)
        while not done.is_set():
            name = rng.choice(churn)
            await store.apply([Delete("checks", NS, name, missing_ok=True)])
            await store.apply([check(rng.choice(churn))])

    task = asyncio.create_task(writer())
    seen: list[str] = []
    after: tuple[str, str] | None = None
    while page := await names(store, ListQuery("checks", namespace=NS, limit=7, after=after)):
        seen += [name for _, name in page]
        after = page[-1]
        await asyncio.sleep(0.002)
    done.set()
    await task
    assert len(seen) == len(set(seen))
    assert stable <= set(seen)


async def test_name_prefix(store: Store) -> None:
    await store.apply([check(n) for n in ("web", "web1", "web2", "webz", "wec", "x")])
    query = ListQuery("checks", name_prefix="web")
    assert [n for _, n in await names(store, query)] == ["web", "web1", "web2", "webz"]
    query = ListQuery("checks", name_prefix="web", after=(NS, "web1"), limit=1)
    assert [n for _, n in await names(store, query)] == ["web2"]


# --- events -----------------------------------------------------------------------------------


def event(entity: str, check_name: str, namespace: str = NS, **kw: object) -> Put:
    value = orjson.dumps({"entity": entity, "check": check_name})
    return Put("events", namespace, f"{entity}/{check_name}", value, **kw)  # type: ignore[arg-type]


async def test_events_are_keyed_by_entity_and_check(store: Store) -> None:
    pairs = [("web1", "cpu"), ("web1", "disk"), ("web10", "cpu"), ("web2", "cpu")]
    await store.apply([event(e, c) for e, c in pairs])
    await store.apply([check("web1")])  # other kinds live elsewhere
    record = await store.get("events", NS, "web1/disk")
    assert record is not None and orjson.loads(record.value) == {"entity": "web1", "check": "disk"}
    assert await store.get("events", NS, "web1") is None
    assert await store.count("events") == 4
    assert [r.name for r in await store.list(ListQuery("events"))] == [f"{e}/{c}" for e, c in pairs]
    by_entity = await store.list(ListQuery("events", name_prefix="web1/"))
    assert [r.name for r in by_entity] == ["web1/cpu", "web1/disk"]
    by_prefix = await store.list(ListQuery("events", name_prefix="web1"))
    assert [r.name for r in by_prefix] == ["web1/cpu", "web1/disk", "web10/cpu"]
    page = await store.list(ListQuery("events", after=(NS, "web1/cpu"), limit=2))
    assert [r.name for r in page] == ["web1/disk", "web10/cpu"]


async def test_event_writes_and_conditions(store: Store) -> None:
    revision = await store.apply([event("web1", "cpu", if_revision=0)])
    with pytest.raises(AlreadyExists):
        await store.apply([event("web1", "cpu", if_revision=0)])
    with pytest.raises(PreconditionFailed):
        await store.apply([event("web1", "cpu", if_revision=revision + 1)])
    await store.apply([Delete("events", NS, "web1/cpu", if_revision=revision)])
    assert await store.count("events", NS) == 0
    with pytest.raises(InvalidArgument):
        await store.apply([Put("events", NS, "no-slash", b"{}")])


async def apply_together(store: Store, puts: list[tuple[Put, type[Exception] | None]]) -> None:
    """Each Put as its own batch, all at once; each must get its own outcome."""
    outcomes = await asyncio.gather(*(store.apply([op]) for op, _ in puts), return_exceptions=True)
    for (op, error), outcome in zip(puts, outcomes, strict=True):
        if error is not None:
            assert isinstance(outcome, error), (op, outcome)
            continue
        assert isinstance(outcome, int), (op, outcome)
        stored = await store.get(op.kind, op.namespace, op.name)
        assert stored is not None and stored.value == op.value
        assert stored.revision >= outcome
    revisions = [o for o in outcomes if isinstance(o, int)]
    assert len(set(revisions)) == len(revisions)


async def test_concurrent_one_put_batches_each_get_their_own_outcome(store: Store) -> None:
    """Concurrent single-Put batches (PostgreSQL commits them as one statement when it can)."""
    base = await store.apply([event("web", "cpu"), check("old"), check("taken")])
    # every condition kind, both tables, all succeeding
    await apply_together(store, [
        (event("web", "cpu", if_revision=base), None), (event("web", "mem", if_revision=0), None),
        (event("web", "disk"), None), (check("old", if_revision=base), None),
        (check("fresh", if_revision=0), None), (check("any"), None),
    ])  # fmt: skip
    # failing conditions among them: the others still commit
    await apply_together(store, [
        (check("taken", if_revision=0), AlreadyExists), (check("fresh2", if_revision=0), None),
        (check("missing", if_revision=base), NotFound), (event("web", "mem"), None),
        (check("old", if_revision=base), PreconditionFailed),
    ])  # fmt: skip
    # one row twice, and a bad event name
    await apply_together(store, [
        (check("twice"), None), (check("twice"), None),
        (Put("events", NS, "no-slash", b"{}"), InvalidArgument), (check("more"), None),
    ])  # fmt: skip
    assert await store.get("checks", NS, "missing") is None


async def test_concurrent_reads_each_get_their_own_rows(store: Store) -> None:
    """Reads issued together (PostgreSQL sends them as one statement) answer each caller."""
    revision = await store.apply([check(f"c{i}") for i in range(20)] + [event("web", "cpu")])
    keys = [("checks", NS, f"c{i}") for i in range(25)] + [
        ("events", NS, "web/cpu"),
        ("events", NS, "web/none"),
        ("events", NS, "no-slash"),
        ("checks", "elsewhere", "c1"),
    ]
    singles = await asyncio.gather(*(store.get(*key) for key in keys))
    many = await asyncio.gather(*(store.get_many([key, keys[0]]) for key in keys))
    present = {("checks", NS, f"c{i}") for i in range(20)} | {("events", NS, "web/cpu")}
    for key, one, (first, again) in zip(keys, singles, many, strict=True):
        found = key in present
        assert (one is not None) is found, key
        assert one == first and (one is None or one.revision == revision)
        assert again is not None and again.name == "c0"


async def test_a_read_issued_after_a_write_is_acknowledged_sees_it(store: Store) -> None:
    await store.apply([check("disk")])

    async def write_then_read(i: int) -> None:
        revision = await store.apply([Put("checks", NS, "disk", orjson.dumps({"n": i}))])
        record = await store.get("checks", NS, "disk")
        assert record is not None and record.revision >= revision

    await asyncio.gather(*(write_then_read(i) for i in range(20)))


# --- cluster-facing calls ---------------------------------------------------------------------


async def test_health_leadership_and_notifications(store: Store) -> None:
    health = await store.health()
    assert health["healthy"] is True and health["backend"] in ("sqlite", "postgres")
    assert await store.is_leader("keepalives") is True
    got: list[str] = []
    await store.listen("vigil_cache", got.append)  # type: ignore[attr-defined]
    await store.notify("vigil_cache", "checks")  # type: ignore[attr-defined]
    for _ in range(200):
        if got:
            break
        await asyncio.sleep(0.01)
    assert got == ["checks"]


async def test_closed_store_refuses_calls(store: Store) -> None:
    await store.close()
    with pytest.raises(VigilError):
        await store.apply([check("late")])
    await store.close()  # closing twice is fine


# --- selection push-down ----------------------------------------------------------------------

SELECTORS = [
    (["check.interval == 10"], []),
    (["check.interval != 10"], []),
    (["linux in check.subscriptions"], []),
    (["check.name matches web"], ["region in [eu, us]"]),
    ([], ["region notin [eu]"]),
    (["check.publish == true", "check.name matches 1"], []),
]


def labelled_check(i: int) -> Put:
    fields = {
        "check.name": f"web{i}",
        "check.interval": str(10 * (1 + i % 3)),
        "check.publish": "true" if i % 2 else "false",
        "check.subscriptions": "linux,windows" if i % 4 == 0 else "windows",
    }
    labels = {"region": ("eu", "us", "ap")[i % 3]} if i % 5 else {}
    return Put("checks", NS, f"web{i:02}", b"{}", fields=fields, labels=labels)


@pytest.mark.parametrize(("field_selectors", "label_selectors"), SELECTORS, ids=str)
async def test_selection_is_applied_inside_the_query_before_the_limit(
    store: Store, field_selectors: list[str], label_selectors: list[str]
) -> None:
    from vigil.selector.evaluate import selection_matches
    from vigil.selector.parser import parse_selection

    puts = [labelled_check(i) for i in range(40)]
    await store.apply(puts)
    selection = parse_selection(field_selectors, label_selectors)
    expected = [p.name for p in puts if selection_matches(selection, p.fields, p.labels)]
    assert expected  # each case selects something
    got: list[str] = []
    after: tuple[str, str] | None = None
    while page := await store.list(ListQuery("checks", limit=3, after=after, selection=selection)):
        assert len(page) == 3 or len(got) + len(page) == len(expected)  # full filtered pages
        got += [r.name for r in page]
        after = (page[-1].namespace, page[-1].name)
    assert got == expected


async def test_selection_on_events_combines_with_name_prefix(store: Store) -> None:
    from vigil.selector.parser import parse_selection

    await store.apply(
        [
            Put("events", NS, f"{e}/{c}", b"{}", fields={"event.check.status": s})
            for e, c, s in [("web1", "cpu", "2"), ("web1", "disk", "0"), ("web2", "cpu", "2")]
        ]
    )
    selection = parse_selection(["event.check.status == 2"], [])
    query = ListQuery("events", name_prefix="web1/", selection=selection)
    assert [r.name for r in await store.list(query)] == ["web1/cpu"]
    query = ListQuery("events", selection=selection)
    assert [r.name for r in await store.list(query)] == ["web1/cpu", "web2/cpu"]
