"""The schema (drf-spectacular) and its browsable UI (Swagger UI, served
from drf-spectacular-sidecar's static files: no CDN, no inline script or
style, so it works offline and under a strict Content-Security-Policy)."""

from django.apps import apps
from django.utils import translation
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from ..schema import SPECTACULAR


class SchemaView(SpectacularAPIView):
    """``GET`` the OpenAPI 3 document: YAML, or JSON with ``?format=json``
    or ``Accept: application/json``. Public: it describes the API, no data."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    serve_public = True
    custom_settings = SPECTACULAR
    # Built once per process and language: the document depends on the code
    # only, and building it walks every view (public, so not on each call).
    _built = {}

    def _get_schema_response(self, request):
        key = (translation.get_language(), self._get_filename(request, None))
        if key not in self._built:
            built = super()._get_schema_response(request)
            self._built[key] = (built.data, built["Content-Disposition"])
        data, disposition = self._built[key]
        return Response(data=data, headers={"Content-Disposition": disposition})


# The page's own policy, as strict as a strict host's but for images:
# Swagger UI draws its icons as data: SVGs. A host's CSP middleware that
# keeps a policy a view set (django-csp does) sends this one here.
DOCS_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


class DocsView(TemplateView):
    """The schema in Swagger UI: try requests with a token ("Authorize")
    or, signed in to the admin, with the session."""

    template_name = "livechat/api/docs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Swagger UI's files come with that app's static files.
        context["swagger_ui"] = apps.is_installed("drf_spectacular_sidecar")
        return context

    def render_to_response(self, context, **response_kwargs):
        """Runs on GET: the page, with its own Content-Security-Policy."""
        response = super().render_to_response(context, **response_kwargs)
        response["Content-Security-Policy"] = DOCS_POLICY
        return response
