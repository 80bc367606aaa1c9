"""The drawing toolbar's texts in the page's language (Leaflet.draw ships English only; issue
#18: drawing buttons in English). ``{% draw_texts %}`` writes them as JSON for lease_map.js,
which sets them into ``L.drawLocal`` before the toolbar is built."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def draw_texts() -> SafeString:
    cancel = _("Cancel")
    texts = {
        "draw": {
            "toolbar": {
                "actions": {"title": _("Cancel drawing"), "text": cancel},
                "finish": {"title": _("Finish drawing"), "text": _("Finish")},
                "undo": {"title": _("Delete the last point drawn"),
                         "text": _("Delete the last point")},
                "buttons": {"polygon": _("Draw a polygon"), "rectangle": _("Draw a rectangle")},
            },
            "handlers": {
                "polygon": {"tooltip": {
                    "start": _("Click to start drawing the area."),
                    "cont": _("Click to continue drawing the area."),
                    "end": _("Click the first point to close the area.")}},
                "rectangle": {"tooltip": {"start": _("Click and drag to draw a rectangle.")}},
                "simpleshape": {"tooltip": {"end": _("Release the mouse to finish drawing.")}},
            },
        },
        "edit": {
            "toolbar": {
                "actions": {
                    "save": {"title": _("Save the changes"), "text": _("Save")},
                    "cancel": {"title": _("Cancel editing, discard all changes"),
                               "text": cancel},
                    "clearAll": {"title": _("Clear all areas"), "text": _("Clear all")},
                },
                "buttons": {"edit": _("Edit the areas"), "editDisabled": _("No areas to edit"),
                            "remove": _("Delete areas"),
                            "removeDisabled": _("No areas to delete")},
            },
            "handlers": {
                "edit": {"tooltip": {"text": _("Drag the handles to edit the area."),
                                     "subtext": _("Click Cancel to undo the changes.")}},
                "remove": {"tooltip": {"text": _("Click an area to delete it.")}},
            },
        },
    }
    return json_script(texts, "draw-texts")
