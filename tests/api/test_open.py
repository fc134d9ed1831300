"""/health, /version, /ready, /metrics need no credentials."""

from __future__ import annotations

import httpx


def test_health(anon: httpx.Client) -> None:
    response = anon.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ClusterHealth"][0]["Healthy"] is True
    assert body["Store"]["healthy"] is True


def test_health_bad_timeout(anon: httpx.Client) -> None:
    response = anon.get("/health?timeout=soon")
    assert response.status_code == 400
    assert "timeout" in response.json()["message"]


def test_version_is_plain_semver(anon: httpx.Client) -> None:
    version = anon.get("/version").json()["sensu_backend"]
    assert [int(x) for x in version.split("#")[0].split(".")] >= [5, 21, 0]


def test_ready(anon: httpx.Client) -> None:
    assert anon.get("/ready").text == "ready\n"


def test_metrics_count_requests(anon: httpx.Client, admin: httpx.Client) -> None:
    admin.get("/api/core/v2/namespaces/default/checks")
    text = anon.get("/metrics").text
    assert "vigil_http_requests_total" in text
    assert 'route="/api/core/v2/namespaces/{namespace}/checks"' in text
    assert "vigil_http_request_duration_seconds_bucket" in text
    assert 'vigil_resources{type="namespaces"}' in text
    assert 'vigil_store_operation_duration_seconds_count{operation="get"}' in text
    assert 'vigil_store_operation_duration_seconds_count{operation="list"}' in text


def test_metrics_carry_process_series_and_build_info(anon: httpx.Client) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(anon.get("/metrics").text)}
    for name in (
        "process_cpu_seconds",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
        "python_info",
        "python_gc_collections",
    ):
        assert name in families, name
    assert families["process_resident_memory_bytes"].samples[0].value > 0
    (build,) = families["vigil_build_info"].samples
    assert build.value == 1
    assert build.labels["sensu_version"] == "6.12.0" and build.labels["version"]


def test_api_needs_credentials(anon: httpx.Client) -> None:
    response = anon.get("/api/core/v2/namespaces/default/checks")
    assert response.status_code == 401
    assert response.json()["code"] == 5
