"""Plain HTTP views of livechat (the API lives in livechat.api)."""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .services.availability import availability


@require_GET
def status(request):
    """Is anyone there? Polled by the widget while its socket is closed."""
    response = JsonResponse(availability())
    # Honest means fresh: no proxy or browser may keep an old "online".
    response["Cache-Control"] = "no-store"
    return response
