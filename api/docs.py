"""``/docs``: Swagger UI from the package's own copy (``/static/vendor/``), so the API's page
works without a network; the page asks nothing of any other host. ReDoc is not served."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER_UI = "/static/vendor/swagger-ui-dist-5.36.0"
"""Where the vendored swagger-ui-dist files are served (see api/static/vendor/README.md)."""


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` from the vendored files (the app is built with
    ``docs_url=None`` and ``redoc_url=None``)."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url=f"{root}{SWAGGER_UI}/favicon-32x32.png",
            # No online validator badge: Swagger UI would otherwise ask validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
        return HTMLResponse(readable(bytes(page.body).decode("utf-8"), root))


def readable(page: str, root: str = "") -> str:
    """Swagger UI's page with its language named (English) and ``/static/docs.css`` after its
    stylesheet, which darkens the colours whose contrast is below WCAG AA (see
    docs/accessibility.md)."""
    sheet = f'<link rel="stylesheet" href="{root}/static/docs.css">'
    return page.replace("<html>", '<html lang="en">', 1).replace("</head>", sheet + "</head>", 1)
