from django.contrib import admin

from .models import Coupon, Order, OrderItem, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "emoji", "price", "stock", "active"]
    list_editable = ["price", "stock", "active"]
    list_filter = ["active"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "amount", "product", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "description"]
    raw_id_fields = ["product"]


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    fields = ["product", "name", "unit_price", "quantity"]
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        *("__str__", "name", "email", "status"),
        *("coupon_code", "total", "created_at"),
    ]
    list_filter = ["status", "created_at"]
    list_select_related = ["user"]
    search_fields = ["name", "email", "user__username"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    inlines = [OrderItemInline]
