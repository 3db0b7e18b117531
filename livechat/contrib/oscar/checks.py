"""System checks of livechat.contrib.oscar (docs/oscar.md)."""

from django.core.checks import Warning, register
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

# Oscar's storefront templates, outermost last: the widget tag in any of
# them (as the project resolves them) puts the chat on every shop page.
LAYOUT_TEMPLATES = (
    "oscar/partials/extrascripts.html",
    "oscar/layout.html",
    "oscar/base.html",
)


def _source(name):
    try:
        template = get_template(name)
    except TemplateDoesNotExist:
        return ""
    return getattr(getattr(template, "template", None), "source", "") or ""


@register()
def check_widget_on_oscar_pages(app_configs, **kwargs):
    """W001: no template of Oscar's layout renders ``{% livechat_widget %}``."""
    if any("livechat_widget" in _source(name) for name in LAYOUT_TEMPLATES):
        return []
    return [
        Warning(
            "The chat widget is on none of Oscar's pages.",
            hint='List "livechat.contrib.oscar" above Oscar\'s apps in '
            "INSTALLED_APPS (it provides oscar/partials/extrascripts.html), "
            "or add {% load livechat %}{% livechat_widget %} to your "
            "oscar/layout.html (docs/oscar.md).",
            id="livechat_oscar.W001",
        )
    ]
