"""Forms of the shop."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .cart import MAX_QUANTITY
from .pricing import InvalidCoupon, find_coupon


class AddToCartForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )


class CheckoutForm(forms.Form):
    """The customer's details for an order."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = forms.CharField(
        label=_("Delivery address"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "street-address"}),
    )


class CouponForm(forms.Form):
    """A coupon code at checkout; ``lines`` are the cart's, to check it against."""

    coupon = forms.CharField(
        label=_("Coupon code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines

    def clean_coupon(self):
        try:
            return find_coupon(self.cleaned_data["coupon"], self.lines)
        except InvalidCoupon as exc:
            raise forms.ValidationError(str(exc), code="invalid_coupon") from None
