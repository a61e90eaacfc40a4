// Starts ReDoc on the page's OpenAPI document (services/common/docs.py).
Redoc.init(document.body.dataset.openapi, {}, document.getElementById("redoc"));
