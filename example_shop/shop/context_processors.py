"""Template context shared by every shop page."""

from .cart import Cart


def cart(request):
    """``cart_count`` for the navigation, read from the session without a query."""
    session = getattr(request, "session", None)
    return {"cart_count": Cart(session).count if session is not None else 0}
