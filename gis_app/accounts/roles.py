"""Roles and capabilities: the one table that says which role may do what.

Roles are granted per municipality. Capabilities are what views and selectors ask for; a view never
tests a role name directly, so the policy lives here and in docs/permissions.md only.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLANNER = "planner", _("Planner")
    PROPERTY_OFFICER = "property_officer", _("Property officer")
    TAX_OFFICER = "tax_officer", _("Tax officer")
    LANDSCAPE_INSPECTOR = "landscape_inspector", _("Landscape inspector")
    ADMINISTRATOR = "administrator", _("Administrator")
    PARKING_CONTROLLER = "parking_controller", _("Parking controller")
    PARKING_MANAGER = "parking_manager", _("Paid-parking zone manager")
    # the social-welfare centre's housing officer: the only role that sees residents (health,
    # social assistance: data of special categories, art. 9 RODO)
    SOCIAL_WELFARE_OFFICER = "social_welfare", _("Social-welfare housing officer")


# The public (no login) is not a role that can be granted; it is the absence of a login.
PUBLIC = "public"


class Capability(StrEnum):
    """What a user may do in a municipality. Each maps to the roles that hold it."""

    VIEW_MAP = "view_map"  # internal map layers beyond the public ones
    VIEW_OWNERS = "view_owners"  # owner names, shares, PESEL (personal data, RODO)
    VIEW_TAX = "view_tax"  # tax amounts, taxpayers, tax status (tax secrecy)
    EDIT_TAX = "edit_tax"
    VIEW_LEASES = "view_leases"
    EDIT_LEASES = "edit_leases"
    VIEW_HOUSING = "view_housing"
    EDIT_HOUSING = "edit_housing"
    VIEW_PARKING = "view_parking"
    VIEW_PARKING_REVENUE = "view_parking_revenue"  # revenue, sessions, occupancy per zone
    EDIT_PARKING = "edit_parking"
    VIEW_LANDSCAPE = "view_landscape"
    EDIT_LANDSCAPE = "edit_landscape"  # rules of the landscape resolution
    INSPECT = "inspect"  # the inspector's check and inspections register
    ENFORCE_PARKING = "enforce_parking"  # check a car in a paid zone, issue surcharge notices
    MANAGE_SURCHARGES = "manage_surcharges"  # the notices register: payments, reminders
    MANAGE_PERMITS = "manage_permits"  # residents' and business permits (abonament)
    MANAGE_AD_FEE = "manage_ad_fee"  # advertising-fee declarations and decisions (payers)
    VIEW_RESIDENTS = "view_residents"  # residents of protected flats, stays, waiting list
    EDIT_RESIDENTS = "edit_residents"  # and the centre's demand for places
    IMPORT_DATA = "import_data"
    EXPORT_DATA = "export_data"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"


_ALL_STAFF = {
    Role.PLANNER,
    Role.PROPERTY_OFFICER,
    Role.TAX_OFFICER,
    Role.LANDSCAPE_INSPECTOR,
    Role.ADMINISTRATOR,
    Role.PARKING_CONTROLLER,  # staff on the street: the internal map and zones like the rest
    Role.PARKING_MANAGER,  # the zone manager (zarząd SPP): permits, notices, revenue
    Role.SOCIAL_WELFARE_OFFICER,
}

CAPABILITIES: dict[Capability, frozenset[str]] = {
    Capability.VIEW_MAP: frozenset(_ALL_STAFF),
    Capability.VIEW_OWNERS: frozenset({Role.PROPERTY_OFFICER, Role.TAX_OFFICER}),
    Capability.VIEW_TAX: frozenset({Role.TAX_OFFICER}),
    Capability.EDIT_TAX: frozenset({Role.TAX_OFFICER}),
    Capability.VIEW_LEASES: frozenset(
        {Role.PLANNER, Role.PROPERTY_OFFICER, Role.TAX_OFFICER, Role.ADMINISTRATOR}
    ),
    Capability.EDIT_LEASES: frozenset({Role.PROPERTY_OFFICER}),
    Capability.VIEW_HOUSING: frozenset({Role.PLANNER, Role.PROPERTY_OFFICER, Role.ADMINISTRATOR,
                                        Role.SOCIAL_WELFARE_OFFICER}),
    Capability.EDIT_HOUSING: frozenset({Role.PROPERTY_OFFICER}),
    Capability.VIEW_PARKING: frozenset(_ALL_STAFF),
    Capability.EDIT_PARKING: frozenset({Role.PLANNER, Role.ADMINISTRATOR}),
    # what the zones earn and how full they are: the zone manager (zarząd SPP) and the
    # administrator, not every staff member (a controller on the street does not need it)
    Capability.VIEW_PARKING_REVENUE: frozenset({Role.PARKING_MANAGER, Role.ADMINISTRATOR}),
    Capability.VIEW_LANDSCAPE: frozenset(_ALL_STAFF),
    Capability.EDIT_LANDSCAPE: frozenset({Role.LANDSCAPE_INSPECTOR, Role.PLANNER}),
    Capability.INSPECT: frozenset({Role.LANDSCAPE_INSPECTOR}),
    Capability.ENFORCE_PARKING: frozenset({Role.PARKING_CONTROLLER}),
    Capability.MANAGE_SURCHARGES: frozenset({Role.PARKING_CONTROLLER, Role.PARKING_MANAGER,
                                             Role.ADMINISTRATOR}),
    Capability.MANAGE_PERMITS: frozenset({Role.PARKING_MANAGER, Role.ADMINISTRATOR}),
    # Residents' data: the social-welfare housing officer only, not the administrator (who
    # manages accounts, not cases), not tax or property staff, not the installation's superuser
    # through any page (the Django admin does not register residents).
    Capability.MANAGE_AD_FEE: frozenset({Role.LANDSCAPE_INSPECTOR, Role.TAX_OFFICER}),
    Capability.VIEW_RESIDENTS: frozenset({Role.SOCIAL_WELFARE_OFFICER}),
    Capability.EDIT_RESIDENTS: frozenset({Role.SOCIAL_WELFARE_OFFICER}),
    Capability.IMPORT_DATA: frozenset({Role.ADMINISTRATOR}),
    Capability.EXPORT_DATA: frozenset(
        {Role.PLANNER, Role.PROPERTY_OFFICER, Role.TAX_OFFICER, Role.ADMINISTRATOR}
    ),
    Capability.VIEW_AUDIT: frozenset({Role.ADMINISTRATOR}),
    Capability.MANAGE_USERS: frozenset({Role.ADMINISTRATOR}),
}

