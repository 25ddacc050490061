"""Token handling and read-only views in headless Chromium (the app served in-process over a real store)."""

from __future__ import annotations

import pytest

from nni.launcher import experiment_app
from nni.storage import open_reader

pytestmark = [pytest.mark.browser]


def _server(request, folder, **kwargs):
    server_cls = request.getfixturevalue("in_process_server")
    return server_cls(experiment_app(experiment_dir=folder, store_reader=open_reader(folder), control=None, **kwargs))


def test_token_from_the_url_is_kept_for_the_tab_and_sent_on_requests(request, demo_store, browser, shoot) -> None:
    folder, _ = demo_store
    with _server(request, folder, token="s3cret-token") as server:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        denied = page.goto(server.url + "#/overview")
        assert denied.status == 401 and "access token" in page.inner_text("body")

        page.goto(server.url + "?token=s3cret-token#/overview")
        page.wait_for_selector("[data-test=best-metric]")
        assert "token" not in page.url  # removed from the address bar once read
        assert page.evaluate("sessionStorage.getItem('nni-webui-token')") == "s3cret-token"
        # every API request carries the token itself (the server's cookie is only a fallback)
        sent: list[str | None] = []
        page.on("request", lambda req: sent.append(req.headers.get("x-nni-token")) if "/api/" in req.url else None)
        page.evaluate("location.hash = '#/trials'")
        page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
        assert sent and all(t == "s3cret-token" for t in sent)
        shoot(page, "token-trials")
        context.close()
        # the header alone is enough (a context that never had the cookie)
        bare = browser.new_context()
        api = server.url + "api/v1/nni/webui/summary"
        assert bare.request.get(api, headers={"X-NNI-Token": "s3cret-token"}).status == 200
        assert bare.request.get(api).status == 401
        bare.close()


def test_read_only_view_offers_no_changes(request, demo_store, page, shoot) -> None:
    folder, written = demo_store
    with _server(request, folder) as server:
        page.goto(server.url + "#/overview")
        page.wait_for_selector("[data-test=best-metric]")
        assert page.locator("[data-test=concurrency-edit]").count() == 0
        assert "read-only" in page.inner_text("#exp-title")
        page.goto(server.url + "#/trials")
        page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
        assert page.locator("[data-test=kill]").count() == 0
        assert page.locator("[data-test=rerun]").count() == 0
        assert page.is_disabled("[data-test=add-trial]")
        info = page.inner_text("[data-test=table-info]")
        assert info == f"{len(written['trials'])} trials"
        page.click("[data-test=next]")
        page.wait_for_function("document.querySelector('[data-test=page-info]').textContent.startsWith('51')")
        shoot(page, "read-only-trials-page-2")
        page.click("[data-test=columns]")
        page.uncheck("[data-test=columns-menu] input[data-col='param:dropout']")
        assert page.locator("th[data-col='param:dropout']").count() == 0
        shoot(page, "trials-columns-menu")
        page.reload()
        page.wait_for_selector("[data-test=trials-table] tr[data-trial]")
        assert page.locator("th[data-col='param:lr']").count() == 1
        assert page.locator("th[data-col='param:dropout']").count() == 0  # remembered
        page.goto(server.url + "#/charts?tab=importance")
        page.wait_for_selector("[data-test=chart-importance] .main-svg", timeout=60000)
        shoot(page, "charts-importance")
