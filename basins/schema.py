"""Typed entries of a basin file (pydantic), with their units.

A basin file is YAML. Every entry forbids unknown keys, so a typo such as
``capcity`` is reported instead of silently ignored. Units are in the field
names (``capacity_hm3``) or in an explicit ``*_unit`` field next to the value.

Vocabulary (after Pywr): ``inflow`` nodes bring natural runoff, ``reservoir``
nodes store it, ``junction`` and ``border`` nodes only route it (a border node is
an accounting point on the state border), ``demand`` nodes consume it and return
a fraction to a named downstream node, ``sink`` nodes let it leave the basin.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .errors import Invalid

NodeKind = Literal["inflow", "reservoir", "junction", "demand", "border", "sink", "aquifer"]
Country = Literal["KG", "KZ"]
Sector = Literal["irrigation", "municipal", "environment"]
Period = Literal["hydro-year", "year", "apr-sep", "oct-mar", "vegetation", "non-vegetation", "month"]
#: What a party's share *is* (issue 11): ``entitlement`` a floor on what the party receives at its accounting
#: posts, ``ceiling`` a cap on the party's use (withdrawals at its canal heads), ``reported`` information only.
Role = Literal["entitlement", "ceiling", "reported"]
Counted = Literal["gross", "net"]
Mode = Literal["hard", "soft"]
FlowUnit = Literal["hm3/month", "m3/s"]

#: Units accepted for the monthly series files (converted to hm³/month on load).
SERIES_UNITS = {"inflow": ("hm3", "m3/s"), "demand": ("hm3", "m3/s"), "evaporation": ("mm",)}

#: Largest volume [hm³] or flow [m³/s] a basin file may hold: 10⁹ hm³ is a million km³, far beyond any river
#: (the Amazon carries ~6·10⁵ hm³ a month). Larger numbers are typos, and from ~10²⁰ on HiGHS would read them as
#: infinite (a balance row silently dropped), so they are refused instead of solved into nonsense.
MAX_VOLUME = 1e9
#: Largest area [km²] (the Caspian Sea is ~4·10⁵ km²) and evaporation depth [mm/month].
MAX_AREA_KM2 = 1e7
MAX_EVAPORATION_MM = 1e4
#: Largest value of each series [in the unit given in the file].
SERIES_MAX = {"inflow": MAX_VOLUME, "demand": MAX_VOLUME, "evaporation": MAX_EVAPORATION_MM}


def _numeric(annotation) -> bool:
    """Whether a field holds numbers: float, int, an optional one, or a dict of them (shares)."""
    if annotation in (float, int):
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_numeric(a) for a in args if a is not type(None))
    return origin is dict and len(args) == 2 and _numeric(args[1])


_YAML11_BOOLEANS = {"y", "n", "yes", "no", "on", "off", "true", "false"}


def _boolean(value: object) -> bool:
    """A boolean, or a text YAML 1.1 reads as one (yes/no/on/off): never a number."""
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in _YAML11_BOOLEANS)


class Entry(BaseModel):
    """Base of every basin-file entry: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value, info: ValidationInfo):
        # pydantic would read true/false as 1/0, and YAML 1.1 reads yes/no/on/off as booleans: `capacity: yes`
        # would silently become 1 m3/s (YAML 1.2 reads it as the text 'yes', which is refused here as well)
        if info.field_name is not None and _numeric(cls.model_fields[info.field_name].annotation) and (
                _boolean(value) or (isinstance(value, dict) and any(_boolean(v) for v in value.values()))):
            raise Invalid("schema.boolean_number")
        return value


class Node(Entry):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    name_ru: str = Field(default="", description="the name in Russian, shown when the reader's language is Russian "
                                                 "(the name where empty)")
    kind: NodeKind
    country: Country
    lat: float = Field(ge=-90, le=90, description="latitude [deg N], approximate, for the schematic")
    lon: float = Field(ge=-180, le=180, description="longitude [deg E], approximate, for the schematic")
    channel_fraction: float = Field(default=1.0, gt=0, le=1, description=(
        "inflow nodes: share of the natural inflow that reaches the channel; the rest recharges groundwater "
        "goes to recharge_to, or leaves the basin (it still counts in the agreement's resource) [-]"))
    recharge_to: str | None = Field(default=None, description=(
        "inflow nodes: the aquifer that receives the part of the inflow that does not reach the channel"))
    source: str = ""


class Link(Entry):
    """A directed river reach or canal. ``capacity`` None means unlimited (natural channel)."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    source: str
    target: str
    capacity: float | None = Field(default=None, ge=0, le=MAX_VOLUME)
    capacity_unit: FlowUnit = "m3/s"
    loss_fraction: float = Field(default=0.0, ge=0, lt=1, description="share of the upstream flow lost on the way [-]")
    loss_table: list[tuple[float, float]] | None = Field(default=None, description=(
        "flow-dependent loss instead of loss_fraction: rows [flow m3/s, loss fraction -], flows increasing; the "
        "fraction of step t is read (piecewise linear) at the natural flow reaching the link in step t, fixed "
        "before the LP (optimizer/core/bed_loss.py)"))
    loss_to: str | None = Field(default=None, description=(
        "the aquifer that the seepage part of the loss recharges; without it the whole loss leaves the basin "
        "(evaporation) [-]"))
    seepage_fraction: float = Field(default=1.0, ge=0, le=1, description=(
        "with loss_to: share of the loss that seeps to loss_to; the rest evaporates and leaves the basin [-]"))
    min_flow: float | None = Field(default=None, ge=0, le=MAX_VOLUME,
                                   description="environmental minimum flow (soft), in min_flow_unit")
    min_flow_unit: FlowUnit = "m3/s"
    source_ref: str = ""


class Reservoir(Entry):
    """Storage at a reservoir node. Surface area is linear between dead storage and capacity."""

    node: str
    capacity_hm3: float = Field(gt=0, le=MAX_VOLUME)
    dead_storage_hm3: float = Field(ge=0, le=MAX_VOLUME)
    initial_storage_hm3: float = Field(ge=0, le=MAX_VOLUME)
    area_km2_at_dead: float = Field(ge=0, le=MAX_AREA_KM2)
    area_km2_at_full: float = Field(gt=0, le=MAX_AREA_KM2)
    spill_to: str | None = Field(default=None, description="node receiving uncontrolled spill; default: target of the first outgoing link")
    level_volume: str | None = Field(default=None, description=(
        "level-area-volume table: a CSV path relative to the basin file (columns level_m [m a.s.l.], area_km2, "
        "volume_hm3, mark, source; basins.level_volume), used to convert measured levels to volumes"))
    source: str = ""


class Aquifer(Entry):
    """A linear groundwater store at an aquifer node: each month it discharges ``recession_per_month`` of the
    storage it held at the start of the month to ``discharge_to`` (a river node). It is recharged by the
    infiltration of inflow nodes (``recharge_to``), by the return flow of demands whose return_node it is and by
    the seeping part of the loss of links that name it (``loss_to``), so that water lost in summer comes back as
    baseflow months later. No link may start or end at it (pumping can only take part of its discharge)."""

    node: str
    recession_per_month: float = Field(gt=0, le=1, description="share of the storage discharged per month [-]")
    initial_storage_hm3: float = Field(ge=0, le=MAX_VOLUME)
    discharge_to: str
    source: str = ""


class Demand(Entry):
    """Water use at a demand node; the monthly demand series [hm³/month] lives in the data files."""

    node: str
    party: Country | None = None
    sector: Sector
    priority: int = Field(ge=1, le=10, description="1 = served first; shortage cost per hm³ = 11 - priority")
    return_fraction: float = Field(default=0.0, ge=0, lt=1, description="share of the delivery returned [-]")
    return_node: str | None = None
    demand_factor: float = Field(default=1.0, gt=0, le=1000, description=(
        "multiplies the demand series (area × duty uncertainty; set by calibration) [-]"))
    source: str = ""


class Receipt(Entry):
    """What counts as a party's water at its accounting posts [hm³]: the flow of ``links`` plus natural inflow at
    ``inflows``, less the return flow of the demands in ``less_returns_of``.

    ``counted: gross`` counts the flow entering each link (a withdrawal measured at the canal head, before
    conveyance loss); ``net`` the flow arriving at its end (a transfer measured at a border post below the
    reach). ``less_returns_of`` lists demands whose return flow re-enters the river (directly or through an
    aquifer) and is counted again downstream, so that it is never counted twice: a party's use is its gross
    withdrawal less what it gives back. ``less_seepage: true`` (with ``counted: gross``) deducts, for the same
    reason, the part of each counted link's conveyance loss that seeps to its ``loss_to`` aquifer
    (``seepage_fraction × loss_fraction`` of the flow entering it): the evaporating part stays counted as use. ``post`` names the gauge or hydropost where the Commission measures it,
    with its source and [P]/[E] mark."""

    links: list[str] = Field(default_factory=list)
    inflows: list[str] = Field(default_factory=list)
    counted: Counted = "net"
    less_returns_of: list[str] = Field(default_factory=list, description="demands whose return flow is deducted")
    less_seepage: bool = Field(default=False, description=(
        "with counted: gross, deduct the part of each link's conveyance loss that seeps to its loss_to aquifer"))
    post: str = Field(default="", description="accounting post (gauge / hydropost) and its source, [P]/[E]")


def _roles(shares: dict, roles: dict | None, enforce: list | None) -> dict:
    """The role of every party with a share: ``roles`` as declared, or the old ``enforce`` list read as
    entitlements (the others reported). Both at once is an error unless they agree."""
    if roles is None and enforce is None:
        raise Invalid("schema.say_what_each_party")
    if enforce is not None:
        implied = {p: ("entitlement" if p in enforce else "reported") for p in shares}
        if roles is not None and any(roles.get(p, "reported") != implied[p] for p in implied if p in enforce):
            raise Invalid("schema.enforce_roles_disagree_drop")
        if roles is None:
            return implied
    return dict(roles or {})


class _HasRoles:
    """Shared by share rules and storage splits: ``party_roles`` (every party with a share → its role)."""

    if typing.TYPE_CHECKING:  # fields of the models that use this mixin (ShareRule, StorageSplit)
        shares: dict
        roles: dict | None
        enforce: list | None

    @model_validator(mode="after")
    def _check_roles(self):
        _roles(self.shares, self.roles, self.enforce)
        return self

    @property
    def party_roles(self) -> dict[str, str]:
        r = _roles(self.shares, self.roles, self.enforce)
        return {p: r.get(p, "reported") for p in self.shares}

    @property
    def enforced(self) -> list[str]:
        """Parties whose share is a row of the LP (entitlement or ceiling)."""
        return [p for p, role in self.party_roles.items() if role != "reported"]


#: An agreement clause's short name per language, as the app, the workbooks and the reports show it
ClauseName = Annotated[dict[Literal["en", "ru"], str], Field(description=(
    "short name per language (en, ru), as the app, the workbooks and the reports show the rule; without one they "
    "show its id"))]


class ShareRule(_HasRoles, Entry):
    """Each party's ``share`` of the resource over every period, in the role ``roles`` gives it: an entitlement
    (receipts ≥ (1 − τ)·share·resource), a use ceiling (use ≤ (1 + τ)·share·resource) or reported only."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str = ""
    description_ru: str = Field(default="", description="the description in Russian (the app in Russian; empty: the English one)")
    name: ClauseName = {}  # (pydantic copies the default for every instance)
    resource_inflows: list[str] = Field(min_length=1, description="inflow nodes whose natural inflow is the shared resource")
    period: Period = "year"
    shares: dict[Country, float]
    receipts: dict[Country, Receipt]
    roles: dict[Country, Role] | None = Field(default=None, description=(
        "per party: entitlement (floor on receipts), ceiling (cap on use) or reported"))
    enforce: list[Country] | None = Field(default=None, min_length=1, description=(
        "old form of roles: the parties listed are entitlements, the others reported"))
    mode: Mode = "hard"
    tolerance: float = Field(default=0.0, ge=0, le=1, description="soft rules: shortfall tolerated without penalty, fraction of the requirement")
    penalty: float = Field(default=1000.0, ge=0, le=MAX_VOLUME,
                           description="soft rules: cost per hm³ of shortfall beyond the tolerance")
    source: str = ""


class Quota(Entry):
    """A party receives at least ``volume_hm3`` in every complete period (e.g. the Apr–Sep vegetation quota)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str = ""
    description_ru: str = Field(default="", description="the description in Russian (the app in Russian; empty: the English one)")
    name: ClauseName = {}  # (pydantic copies the default for every instance)
    party: Country
    period: Period = "apr-sep"
    volume_hm3: float = Field(ge=0, le=MAX_VOLUME)
    receipts: Receipt
    mode: Mode = "hard"
    tolerance: float = Field(default=0.0, ge=0, le=1)
    penalty: float = Field(default=1000.0, ge=0, le=MAX_VOLUME)
    source: str = ""


class StorageSplit(_HasRoles, Entry):
    """Each party's ``shares[party]`` of everything a reservoir releases (incl. spill), in its role (see ShareRule)."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str = ""
    description_ru: str = Field(default="", description="the description in Russian (the app in Russian; empty: the English one)")
    name: ClauseName = {}  # (pydantic copies the default for every instance)
    reservoir: str
    period: Period = "year"
    shares: dict[Country, float]
    receipts: dict[Country, Receipt]
    roles: dict[Country, Role] | None = None
    enforce: list[Country] | None = Field(default=None, min_length=1)
    mode: Mode = "hard"
    tolerance: float = Field(default=0.0, ge=0, le=1)
    penalty: float = Field(default=1000.0, ge=0, le=MAX_VOLUME)
    source: str = ""


class Facility(Entry):
    """An intergovernmental facility (2000 Agreement, Art. 2) and the water each party receives from it.

    Cost sharing by use of facilities (optimizer/core/cost_sharing.py): the facility's water is the flow at
    the head of the links in ``controls`` and, for a reservoir facility, everything ``reservoir`` releases
    (links + spill); it is traced downstream and its cost split by how much of it reaches each party.
    ``receipts`` is the former attribution (all water of the listed links), kept for comparison."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    name_ru: str = Field(default="", description="the name in Russian (the app in Russian; empty: the English one)")
    host: Country
    om_cost_usd_per_year: float = Field(ge=0, description="annual operation and maintenance cost [USD/yr]")
    receipts: dict[Country, Receipt] = Field(default_factory=dict)
    source: str = ""
    # ---- use-of-facilities attribution (issue 11 item 7) ----
    article_2: str = Field(default="", description="the facility as Article 2 of the 2000 Agreement names it")
    reservoir: str | None = Field(default=None, description="reservoir facility: its releases are its water")
    controls: list[str] = Field(default_factory=list, description=(
        "links whose flow (at the head) passes through the facility; traced downstream to the parties"))
    mapping: str = Field(default="", description="how the facility is mapped to the network, in words")
    mapping_ru: str = Field(default="", description="the mapping in Russian (empty: the English one)")


class StorageAccount(Entry):
    """Ownership accounts of a reservoir (after RiverWare's accounting; docs/accounts.md).

    Each party's balance [hm³] a[p,t] = a[p,t-1] + share_p * (inflow_t - evaporation_t) - release_p[t] >= 0,
    where inflow_t is the water entering the reservoir and release_p the part of the reservoir's release
    (links + spill) made for p, which must flow on p's ``release_to`` links. The balances carry over
    from year to year; their sum is the storage above dead storage."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str = ""
    description_ru: str = Field(default="", description="the description in Russian (the app in Russian; empty: the English one)")
    name: ClauseName = {}  # (pydantic copies the default for every instance)
    reservoir: str
    shares: dict[Country, float]
    initial_balance_hm3: dict[Country, float] = Field(description=(
        "balance of each party at the start [hm3]; must add up to initial storage - dead storage"))
    release_to: dict[Country, list[str]] = Field(description=(
        "links (below the reservoir) whose flow carries the water released for each party"))
    source: str = ""


class CapitalWork(Entry):
    """A repair or capital work on an intergovernmental facility, with its cost and (if published) agreed shares."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: str
    name_ru: str = Field(default="", description="the name in Russian (empty: the English one)")
    facility: str = Field(description="id of the facility (agreement.facilities) it belongs to")
    cost: float | None = Field(default=None, ge=0, le=1e12, description="cost in `currency` (None: not published)")
    currency: Literal["USD", "EUR", "KZT", "KGS"] = "USD"
    cost_mark: Literal["[P]", "[E]", "[D]", "not published"] = "not published"
    shares: dict[Country, float] | None = Field(default=None, description=(
        "agreed (published) shares of the cost; None: split like the facility's O&M (use of facilities)"))
    status: str = ""
    status_ru: str = Field(default="", description="the status in Russian (empty: the English one)")
    source: str = ""


class Agreement(Entry):
    parties: list[Country] = Field(default_factory=lambda: list[Country](["KG", "KZ"]))
    share_rules: list[ShareRule] = Field(default_factory=list)
    quotas: list[Quota] = Field(default_factory=list)
    storage_splits: list[StorageSplit] = Field(default_factory=list)
    facilities: list[Facility] = Field(default_factory=list)
    cost_sharing: Literal["proportional_to_water_received", "use_of_facilities"] = "proportional_to_water_received"
    source: str = ""
    # ---- issue 11 items 4, 5, 7 ----
    storage_accounts: list[StorageAccount] = Field(default_factory=list)
    equal_priority: Literal["equal-fraction", "proportional-to-entitlement", "none"] = Field(
        default="equal-fraction", description=(
            "how demands of equal priority in different parties share a shortage (optimizer/core/fairshare.py)"))
    capital_works: list[CapitalWork] = Field(default_factory=list)


class SeriesFiles(Entry):
    """Where the monthly series are: CSV paths relative to the basin file, or CSV text inline."""

    inflow: str
    demand: str
    evaporation: str


CalibratedField = Literal["loss_fraction", "return_fraction", "channel_fraction", "demand_factor",
                          "recession_per_month"]


class CalibrationParameter(Entry):
    """An uncertain input fitted by ``chutalas calibrate``: one value written into ``field`` of every listed
    entry (links for loss_fraction, demands for return_fraction / demand_factor, inflow nodes for
    channel_fraction), searched within its documented range [min, max]."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str = ""
    field: CalibratedField
    entries: list[str] = Field(min_length=1)
    prior: float = Field(description="value before calibration (the estimate the range is built around)")
    min: float
    max: float
    source: str = Field(description="where the range comes from ([P]/[D]/[E] and reference)")


class CalibrationTarget(Entry):
    """A measured volume received by a party, reproduced by the status-quo run of ``year_type``."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str = ""
    party: Country
    receipts: Receipt
    period: Literal["year", "apr-sep", "oct-mar"]
    observed_hm3: float = Field(ge=0)
    observed_min_hm3: float | None = Field(default=None, ge=0, description="lower end of the measured range")
    observed_max_hm3: float | None = Field(default=None, ge=0, description="upper end of the measured range")
    source: str = ""


class Calibration(Entry):
    """What ``chutalas calibrate`` fits and against what; ``result`` is written by the fit (provenance)."""

    year_type: str = "normal"
    tolerance: float = Field(default=0.15, gt=0, lt=1, description="accepted relative error of each target [-]")
    parameters: list[CalibrationParameter] = Field(default_factory=list)
    targets: list[CalibrationTarget] = Field(default_factory=list)
    result: dict | None = Field(default=None, description="written by the fit: values, errors, method, versions")


class BasinSpec(Entry):
    """Everything a basin file declares, except the monthly series values."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    name_ru: str = Field(default="", description="the basin's name in Russian (the name where empty)")
    description: str = ""
    year_types: list[str] = Field(default_factory=lambda: ["wet", "normal", "dry", "very-dry"])
    nodes: list[Node]
    links: list[Link]
    reservoirs: list[Reservoir] = Field(default_factory=list)
    aquifers: list[Aquifer] = Field(default_factory=list)
    demands: list[Demand] = Field(default_factory=list)
    agreement: Agreement = Field(default_factory=Agreement)
    calibration: Calibration | None = None
    series_files: SeriesFiles | None = None
    series_inline: SeriesFiles | None = None
