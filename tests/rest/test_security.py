"""Token and URL prefix handling."""

from __future__ import annotations

from fastapi.testclient import TestClient

from nni.rest import create_app


def test_token_required_when_set(filled_dir, reader) -> None:
    client = TestClient(create_app(experiment_dir=filled_dir, store_reader=reader, control=None, token="s3cret"))
    r = client.get("/api/v1/nni/check-status")
    assert r.status_code == 401 and "token" in r.json()["error"]
    assert client.get("/api/v1/nni/check-status", params={"token": "wrong"}).status_code == 401
    assert client.get("/api/v1/nni/check-status", params={"token": "s3cret"}).status_code == 200
    assert client.get("/api/v1/nni/check-status", headers={"X-NNI-Token": "s3cret"}).status_code == 200
    assert client.get("/api/v1/nni/check-status", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    # the ?token= visit set a cookie: the browser's next requests need no token in the URL
    assert client.get("/api/v1/nni/version").status_code == 200


def test_url_prefix(filled_dir, reader) -> None:
    client = TestClient(create_app(experiment_dir=filled_dir, store_reader=reader, control=None, url_prefix="/nni/"))
    assert client.get("/nni/api/v1/nni/trial-jobs").status_code == 200
    assert client.get("/api/v1/nni/trial-jobs").status_code == 404
    assert "/nni/api/v1/nni/trial-jobs" in client.get("/nni/api/v1/nni/openapi.json").json()["paths"]
