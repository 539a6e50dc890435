from .navigation import nav_items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    from attendance.selectors import unread_notifications

    return {"nav_items": nav_items(user, request.path), "unread_notifications": unread_notifications(user=user)}
