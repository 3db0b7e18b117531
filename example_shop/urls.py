"""URLs of the Corner Shop demo store."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("livechat/", include("livechat.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # set_language (the footer's language picker) at /i18n/setlang/.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("example_shop.shop.urls")),
]

# Uploaded files (agent avatars) in development; static() is empty with DEBUG off.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
