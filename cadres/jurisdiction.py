"""Who may see what. Every selector starts from `scope_of(user)`; nothing else decides jurisdiction.

A scope is one of: everything (a superuser admin without a region), a region subtree (organization
department, township official, admin of a region), a dispatching unit, or one cadre (themselves). An
inactive or misconfigured user gets the empty scope.
"""
from dataclasses import dataclass

from villages.models import Region, RegionLevel

from .models import Role


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    region: Region | None = None
    unit_id: int | None = None
    cadre_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.region or self.unit_id or self.cadre_id)

    @property
    def prefix(self) -> str | None:
        return self.region.prefix if self.region is not None else None


EMPTY = Scope()


def scope_of(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY
    cached = getattr(user, "_jurisdiction_scope", None)
    if cached is not None:
        return cached
    scope = EMPTY
    if user.role in (Role.ORG_DEPT, Role.TOWNSHIP, Role.ADMIN) and user.region_id:
        scope = Scope(region=user.region)
    elif user.role == Role.ADMIN and user.is_superuser:
        scope = Scope(everything=True)
    elif user.role == Role.UNIT and user.unit_id:
        scope = Scope(unit_id=user.unit_id)
    elif user.role == Role.CADRE and user.cadre_id:
        scope = Scope(cadre_id=user.cadre_id)
    user._jurisdiction_scope = scope
    return scope


def can_manage(user) -> bool:
    """Organization departments and admins maintain villages, units, rounds, cadres and postings of their
    region; everyone else reads only (views answer 403 for objects they can see but not change)."""
    scope = scope_of(user)
    return user.role in (Role.ORG_DEPT, Role.ADMIN) and (scope.everything or scope.region is not None)


def org_level(user) -> int | None:
    """The level of an organization department (province, city, county): it decides what it approves."""
    if user.role == Role.ORG_DEPT and user.region_id:
        return user.region.level
    return None


def is_township_official(user) -> bool:
    return user.role == Role.TOWNSHIP and user.region_id is not None and user.region.level == RegionLevel.TOWNSHIP
