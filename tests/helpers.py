"""Assertions shared by the view tests of several apps."""


def field_block(html: str, name: str) -> str:
    """The HTML of one form field's wrapper (label, widget, help, errors), cut at the wrapper's end."""
    for chunk in html.split('<div class="field')[1:]:
        if f'name="{name}"' in chunk:
            return chunk.split("</div>")[0]
    raise AssertionError(f"no field {name} in the page")


def assert_error_next_to(response, field: str, message: str) -> None:
    """The form re-rendered with exactly this message, once, inside the field's own wrapper."""
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert message in field_block(html, field)
    assert html.count(message) == 1


def names(object_list) -> list[str]:
    return [obj.name for obj in object_list]
