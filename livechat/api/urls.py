from django.urls import path

from . import views

urlpatterns = [
    path("conversations/", views.ConversationList.as_view(), name="api-conversations"),
    path(
        "conversations/<int:pk>/",
        views.ConversationDetail.as_view(),
        name="api-conversation",
    ),
    path(
        "conversations/<int:pk>/messages/",
        views.ConversationMessages.as_view(),
        name="api-conversation-messages",
    ),
    path(
        "conversations/<int:pk>/close/",
        views.ConversationClose.as_view(),
        name="api-conversation-close",
    ),
]
