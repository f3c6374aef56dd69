"""``/docs`` is Swagger UI from the package's own files: the page names no other host and every
file it loads is served by the API; ReDoc is not served."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


def test_docs_page_refers_to_no_other_host(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.text
    assert "SwaggerUIBundle" in html
    assert re.search(r"https?://|[\"']//", html) is None, html


def test_docs_page_loads_swagger_ui_files_that_the_api_serves(client: TestClient) -> None:
    assets = ASSET.findall(client.get("/docs").text)
    assert {a.rsplit("/", 1)[-1] for a in assets} == {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "favicon-32x32.png",
        "docs.css",
    }
    for asset in assets:
        # Swagger UI's own files, and the service's stylesheet that darkens its pale colours.
        assert asset.startswith("/static/vendor/swagger-ui-dist-") or asset == "/static/docs.css"
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 500, asset
    script = client.get(next(a for a in assets if a.endswith(".js")))
    assert "javascript" in script.headers["content-type"]
    assert b"SwaggerUIBundle" in script.content


def test_docs_page_names_its_language_and_loads_its_stylesheet_after_swagger_uis(
    client: TestClient,
) -> None:
    html = client.get("/docs").text
    assert '<html lang="en">' in html
    assert html.index("/swagger-ui.css") < html.index("/static/docs.css") < html.index("</head>")


def test_docs_page_loads_the_openapi_document_of_the_api(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "url: '/openapi.json'" in html
    assert client.get("/openapi.json").json()["info"]["title"] == "foodmatch"


def test_redoc_is_not_served(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404
