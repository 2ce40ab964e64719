"""Tariff pricing engine: what a charging session costs under one tariff (mod_tariffs and mod_cdrs, 2.2.1).

Pure: it reads no database, so the CDR builder, previews and the bench all price the same way.
`parse_terms` turns a tariff's elements, min_price and max_price into typed terms once (a tariff
prices many sessions); `price_session` prices one session's charging periods with them.

How a session is priced
-----------------------
* Each charging period is priced on its own. Restrictions are evaluated at the period's start: the
  CPO SHALL start a new ChargingPeriod at every event that makes another price component active
  (mod_cdrs, ChargingPeriod), so nothing changes inside a period.
* Per period and per dimension (ENERGY, TIME, PARKING_TIME, FLAT) the first element, in list order,
  that has a price component of that dimension and whose restrictions all hold gives the price
  component; several dimensions may come from different elements; a dimension no element prices
  costs nothing (mod_tariffs, Tariff object).
* Quantities are the period's dimensions as measured: ENERGY (kWh), TIME (hours charging),
  PARKING_TIME (hours not charging), RESERVATION_TIME (hours reserved).
* FLAT is billed once: at the first charging period in which an element with a FLAT component is
  active; a reservation's FLAT (an element restricted to a reservation) once more for the reservation.
* step_size is applied once per session to totals, never per period (mod_cdrs, step_size): once
  for ENERGY, and once for TIME and PARKING_TIME together. The last period that billed the
  dimension group decides: its price component's step_size rounds up the session's total billed
  quantity of that period's dimension, and the extra is billed in that period at its price. So
  charging time followed by billed parking is not rounded, the parking total is; the step_size of
  an element used earlier (before 17:00, say) is never used. Reservation time is rounded the same
  way, on its own. A step_size of 0 (the 2.1.1 free-of-charge example) means no rounding.
* Reservation periods (RESERVATION_TIME > 0) are priced only by elements with a `reservation`
  restriction, and charging periods only by elements without one; reservation time is priced by
  the TIME component. A reservation not followed by any charging period has expired: then
  RESERVATION_EXPIRES elements are searched before RESERVATION elements, because "the time based
  cost of an expired reservation will be calculated based on the RESERVATION_EXPIRES Tariff Element"
  (ReservationRestrictionType note).
* VAT is per price component: incl = excl x (1 + vat/100); a component without `vat` has no VAT
  applicable, so incl = excl. A price keeps its VAT per rate (`SessionPrice.price`), since the
  elements of one tariff may carry different rates.
* A 2.3.0 tariff says whether its prices include taxes (`tax_included`). NO, or no field (2.1.1,
  2.2.1), is the rule above. YES: the price is the amount including taxes, so excl = incl /
  (1 + vat/100); without `vat` (North American taxes, not known to the CPO beforehand) the tax in
  the price cannot be told apart and excl = incl = price. N/A: no taxes apply, excl = incl = price
  whatever `vat` says.
* min_price and max_price bound total_cost only, excl. and incl. VAT each on its own (both rules
  apply, Tariff object notes); a bound without incl_vat bounds incl. VAT by its excl. VAT amount.
  Per-dimension costs are left as computed, so they no longer add up to a bounded total.

Time restrictions use the local time of the Location's time zone. start_time is inclusive,
end_time exclusive, end_time < start_time wraps past midnight, end_time 00:00 is the end of the
day, start_time == end_time is the whole day. start_date is inclusive and end_date exclusive (local
dates); day_of_week is the local weekday of the period's start. min_kwh, min_current, min_power and
min_duration are inclusive, the max_ ones exclusive. Energy restrictions look at the energy charged
before the period, duration restrictions at the time since the first period of the phase
(reservation or charging). Current and power restrictions look at the period's MIN_/MAX_ values:
a minimum must hold for the period's lowest value, a maximum for its highest (the average
CURRENT/POWER, or the other extreme, stands in when one is missing); a restriction on a value the
period did not measure does not hold.

2.1.1 tariffs
-------------
A tariff received over 2.1.1 is stored in the same 2.2.1 shape and priced by the same rules. Two
readings differ, and are settled here once: 2.1.1 says the first element whose restrictions match
is used as a whole, but its own complex example puts a restriction-less FLAT element first, which
would then shadow every TIME and PARKING_TIME element; the per-dimension rule of 2.2.1 is what that
example means, so it is used (VERSION-DIFFERENCES 9.2). 2.1.1 has no VAT field (incl = excl) and
an optional Location.time_zone: without one, times of day are read in UTC.

Rounding policy
---------------
Decimal throughout: numbers from JSON are read through their decimal text, so 0.25 stays 0.25.
Measured times are taken to the millisecond and energy to the milliwatt-hour before step_size
rounding, so a CPO's 0.7500001 hours does not cost a whole extra step. Money is rounded once, at
the end, each reported amount from its exact value: to 4 decimals, ROUND_HALF_UP. The spec sets no
rounding (it leaves it to law, contracts and the currency), but its examples carry tenths of a cent
(EUR 2.875, 13.861, 0.029) that 4 decimals keep exactly, so the invoicing side can still round to
its currency's rule without a double rounding here; and HALF_UP is the rule its worked examples use
when they round to cents (5.125 -> 5.13, 5.6375 -> 5.64), where banker's rounding would disagree.
Because each amount is rounded on its own, the reported parts may differ from total_cost by
0.0001 per part. Billed times are reported in hours to 6 decimals, energy in kWh exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from roaming.ocpi.timestamps import parse_datetime

ENERGY = "ENERGY"
FLAT = "FLAT"
TIME = "TIME"
PARKING_TIME = "PARKING_TIME"
RESERVATION = "RESERVATION"
RESERVATION_EXPIRES = "RESERVATION_EXPIRES"
TAX_INCLUDED = "YES"
TAX_EXCLUDED = "NO"
TAX_NOT_APPLICABLE = "N/A"

MONEY = Decimal("0.0001")
HOURS = Decimal("0.000001")
_MILLI = Decimal("0.001")
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_SECONDS_PER_HOUR = Decimal(3600)
_WH_PER_KWH = Decimal(1000)
_WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def _decimal(value) -> Decimal:
    """JSON numbers arrive as float or int; their shortest decimal text is the number the sender wrote."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Money:
    excl_vat: Decimal
    incl_vat: Decimal

    def __add__(self, other: Money) -> Money:
        return Money(self.excl_vat + other.excl_vat, self.incl_vat + other.incl_vat)

    def rounded(self) -> Money:
        return Money(
            self.excl_vat.quantize(MONEY, rounding=ROUND_HALF_UP), self.incl_vat.quantize(MONEY, rounding=ROUND_HALF_UP)
        )

    def as_price(self) -> dict:
        """The 2.2.1 Price JSON, in the numbers JSON carries."""
        return {"excl_vat": float(self.excl_vat), "incl_vat": float(self.incl_vat)}


NO_COST = Money(_ZERO, _ZERO)


@dataclass(frozen=True, slots=True)
class PriceComponent:
    dimension: str
    price: Decimal
    vat: Decimal | None
    step_size: int
    #: The tariff's 2.3.0 TaxIncluded: YES, NO, N/A; "" when it has none (taxes on top, as NO).
    tax_included: str = ""

    def cost(self, amount: Decimal) -> Money:
        """The Money of `amount` (quantity x price), which includes taxes when the tariff says so."""
        if self.vat is None or self.tax_included == TAX_NOT_APPLICABLE:
            return Money(amount, amount)
        if self.tax_included == TAX_INCLUDED:
            return Money(amount * _HUNDRED / (_HUNDRED + self.vat), amount)
        return Money(amount, amount + amount * self.vat / _HUNDRED)


@dataclass(frozen=True, slots=True)
class Restrictions:
    start_minute: int | None = None
    end_minute: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: Decimal | None = None
    max_kwh: Decimal | None = None
    min_current: Decimal | None = None
    max_current: Decimal | None = None
    min_power: Decimal | None = None
    max_power: Decimal | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    weekdays: frozenset[int] | None = None
    reservation: str | None = None


@dataclass(frozen=True, slots=True)
class Element:
    components: Mapping[str, PriceComponent]
    restrictions: Restrictions | None


@dataclass(frozen=True, slots=True)
class TariffTerms:
    elements: tuple[Element, ...]
    min_price: Money | None = None
    max_price: Money | None = None
    tariff_id: str = ""


def _minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _optional(value, convert):
    return None if value is None else convert(value)


def _parse_restrictions(raw: Mapping | None) -> Restrictions | None:
    if not raw:
        return None
    days = raw.get("day_of_week") or None
    return Restrictions(
        start_minute=_optional(raw.get("start_time"), _minute_of_day),
        end_minute=_optional(raw.get("end_time"), _minute_of_day),
        start_date=_optional(raw.get("start_date"), date.fromisoformat),
        end_date=_optional(raw.get("end_date"), date.fromisoformat),
        min_kwh=_optional(raw.get("min_kwh"), _decimal),
        max_kwh=_optional(raw.get("max_kwh"), _decimal),
        min_current=_optional(raw.get("min_current"), _decimal),
        max_current=_optional(raw.get("max_current"), _decimal),
        min_power=_optional(raw.get("min_power"), _decimal),
        max_power=_optional(raw.get("max_power"), _decimal),
        min_duration=raw.get("min_duration"),
        max_duration=raw.get("max_duration"),
        weekdays=None if days is None else frozenset(_WEEKDAYS.index(day) for day in days),
        reservation=raw.get("reservation"),
    )


def _parse_price(raw: Mapping | None) -> Money | None:
    if not raw:
        return None
    excl = _decimal(raw["excl_vat"])
    incl = raw.get("incl_vat")
    return Money(excl, excl if incl is None else _decimal(incl))


def parse_terms(
    *,
    elements: Sequence[Mapping],
    min_price: Mapping | None = None,
    max_price: Mapping | None = None,
    tariff_id="",
    tax_included: str = "",
) -> TariffTerms:
    """Typed terms from a tariff's 2.2.1-shaped JSON; an element pricing a dimension twice uses the first."""
    parsed = []
    for raw in elements:
        components: dict[str, PriceComponent] = {}
        for pc in raw["price_components"]:
            components.setdefault(
                pc["type"],
                PriceComponent(
                    dimension=pc["type"],
                    price=_decimal(pc["price"]),
                    vat=_optional(pc.get("vat"), _decimal),
                    step_size=int(pc.get("step_size") or 0),
                    tax_included=tax_included or "",
                ),
            )
        parsed.append(Element(components=components, restrictions=_parse_restrictions(raw.get("restrictions"))))
    return TariffTerms(
        elements=tuple(parsed),
        min_price=_parse_price(min_price),
        max_price=_parse_price(max_price),
        tariff_id=tariff_id,
    )


def terms_of(tariff) -> TariffTerms:
    """Terms of a tariffs.models.Tariff (or anything with its field names)."""
    return parse_terms(
        elements=tariff.elements,
        min_price=tariff.min_price,
        max_price=tariff.max_price,
        tariff_id=tariff.tariff_id,
        tax_included=getattr(tariff, "tax_included", ""),
    )


@dataclass(frozen=True, slots=True)
class _Period:
    index: int
    start: datetime
    local: datetime
    reservation: bool
    volumes: Mapping[str, Decimal]
    kwh_before: Decimal
    seconds_into_phase: float


@dataclass(frozen=True, slots=True)
class BilledLine:
    """One dimension billed in one charging period: the quantity after step_size, at one price component."""

    period: int
    dimension: str
    reservation: bool
    quantity: Decimal
    component: PriceComponent
    cost: Money


@dataclass(frozen=True)
class SessionPrice:
    """What a session costs. Billed quantities are what was charged for (after step_size); the
    session totals are what was measured, in the units of the CDR fields of the same name."""

    currency: str
    total_energy: Decimal
    total_time: Decimal
    total_parking_time: Decimal
    total_reservation_time: Decimal
    billed_energy: Decimal
    billed_time: Decimal
    billed_parking_time: Decimal
    billed_reservation_time: Decimal
    total_energy_cost: Money
    total_time_cost: Money
    total_parking_cost: Money
    total_fixed_cost: Money
    total_reservation_cost: Money
    total_cost: Money
    lines: tuple[BilledLine, ...] = field(default=(), repr=False)

    def price(self, category: str | None = None) -> dict:
        """The internal Price of the total, or of one cost category (energy, time, parking, fixed,
        reservation), with its VAT per rate as the TaxAmounts a Price keeps (`taxes`)."""
        money = self.total_cost if category is None else getattr(self, f"total_{category}_cost")
        price = money.as_price()
        if vat := self._vat_by_rate(money, category):
            price["taxes"] = [{"name": "VAT", "percentage": float(r), "amount": float(a)} for r, a in vat]
        return price

    def _vat_by_rate(self, money: Money, category: str | None) -> list[tuple[Decimal, Decimal]]:
        """The VAT of `money` per rate of the components billed in it, as (rate, amount). The rounded VAT is
        shared in proportion to each rate's unrounded VAT, the highest rate taking what rounding leaves, so
        the amounts add up to incl - excl (min_price and max_price bound the total; its shares follow)."""
        unrounded: dict[Decimal, Decimal] = {}
        for line in self.lines:
            tax = line.cost.incl_vat - line.cost.excl_vat
            if tax and (category is None or _category(line) == category):
                unrounded[line.component.vat] = unrounded.get(line.component.vat, _ZERO) + tax
        vat, whole = money.incl_vat - money.excl_vat, sum(unrounded.values(), _ZERO)
        if not vat or not whole:
            return []
        rates = sorted(unrounded)
        shares = [(r, (vat * unrounded[r] / whole).quantize(MONEY, rounding=ROUND_HALF_UP)) for r in rates[:-1]]
        return [*shares, (rates[-1], vat - sum((a for _, a in shares), _ZERO))]


def _in_time_window(minute: float, start: int | None, end: int | None) -> bool:
    start = 0 if start is None else start
    end = 1440 if end is None or end == 0 else end  # end_time 00:00 is the end of the day
    if start < end:
        return start <= minute < end
    if start == end:
        return True
    return minute >= start or minute < end  # end_time < start_time wraps past midnight


def _holds(r: Restrictions, period: _Period) -> bool:
    local = period.local
    if (r.start_minute is not None or r.end_minute is not None) and not _in_time_window(
        local.hour * 60 + local.minute + local.second / 60, r.start_minute, r.end_minute
    ):
        return False
    if r.start_date is not None and local.date() < r.start_date:
        return False
    if r.end_date is not None and local.date() >= r.end_date:
        return False
    if r.weekdays is not None and local.weekday() not in r.weekdays:
        return False
    if r.min_kwh is not None and period.kwh_before < r.min_kwh:
        return False
    if r.max_kwh is not None and period.kwh_before >= r.max_kwh:
        return False
    if r.min_duration is not None and period.seconds_into_phase < r.min_duration:
        return False
    if r.max_duration is not None and period.seconds_into_phase >= r.max_duration:
        return False
    volumes = period.volumes
    if r.min_current is not None and not _at_least(volumes, "MIN_CURRENT", "CURRENT", "MAX_CURRENT", r.min_current):
        return False
    if r.max_current is not None and not _below(volumes, "MAX_CURRENT", "CURRENT", "MIN_CURRENT", r.max_current):
        return False
    if r.min_power is not None and not _at_least(volumes, "MIN_POWER", "POWER", "MAX_POWER", r.min_power):
        return False
    return r.max_power is None or _below(volumes, "MAX_POWER", "POWER", "MIN_POWER", r.max_power)


def _measured(volumes: Mapping[str, Decimal], *names: str) -> Decimal | None:
    for name in names:
        if name in volumes:
            return volumes[name]
    return None


def _at_least(volumes, lowest, average, highest, bound) -> bool:
    value = _measured(volumes, lowest, average, highest)
    return value is not None and value >= bound


def _below(volumes, highest, average, lowest, bound) -> bool:
    value = _measured(volumes, highest, average, lowest)
    return value is not None and value < bound


def _component(elements: Iterable[Element], dimension: str, period: _Period, active: dict) -> PriceComponent | None:
    for element in elements:
        component = element.components.get(dimension)
        if component is None:
            continue
        key = id(element)
        if key not in active:
            active[key] = element.restrictions is None or _holds(element.restrictions, period)
        if active[key]:
            return component
    return None


def _periods(charging_periods: Sequence[Mapping], *, zone, start: datetime) -> list[_Period]:
    raw = []
    for period in charging_periods:
        begins = period["start_date_time"]
        if isinstance(begins, str):
            begins = parse_datetime(begins)
        elif begins.tzinfo is None:
            begins = begins.replace(tzinfo=UTC)
        volumes: dict[str, Decimal] = {}
        for dimension in period.get("dimensions") or ():
            volumes[dimension["type"]] = volumes.get(dimension["type"], _ZERO) + _decimal(dimension["volume"])
        raw.append((begins, volumes))
    raw.sort(key=lambda item: item[0])
    periods = []
    kwh_before = _ZERO
    phase_start: dict[bool, datetime] = {}
    for index, (begins, volumes) in enumerate(raw):
        reservation = volumes.get("RESERVATION_TIME", _ZERO) > 0
        phase_start.setdefault(reservation, min(begins, start) if reservation else begins)
        periods.append(
            _Period(
                index=index,
                start=begins,
                local=begins.astimezone(zone),
                reservation=reservation,
                volumes=volumes,
                kwh_before=kwh_before,
                seconds_into_phase=(begins - phase_start[reservation]).total_seconds(),
            )
        )
        if not reservation:
            kwh_before += volumes.get(ENERGY, _ZERO)
    if not periods:
        # A session without periods still owes its FLAT fee: price it as one empty period at its start.
        periods.append(_Period(0, start, start.astimezone(zone), False, {}, _ZERO, 0.0))
    return periods


@dataclass(slots=True)
class _Line:
    period: int
    dimension: str
    reservation: bool
    amount: Decimal  # Wh for ENERGY, seconds for TIME and PARKING_TIME, 1 for FLAT
    component: PriceComponent


def _round_up_last(lines: list[_Line], dimensions: tuple[str, ...]) -> None:
    """step_size once per session: the last billed line of the group rounds its dimension's session total."""
    last = next((line for line in reversed(lines) if line.dimension in dimensions and line.amount > 0), None)
    if last is None or last.component.step_size <= 0:
        return
    step = Decimal(last.component.step_size)
    total = sum((line.amount for line in lines if line.dimension == last.dimension), _ZERO)
    rounded = (total / step).to_integral_value(rounding=ROUND_CEILING) * step
    last.amount += rounded - total


def price_session(
    *,
    terms: TariffTerms,
    start: datetime,
    end: datetime,
    charging_periods: Sequence[Mapping],
    time_zone: str | None,
    currency: str = "",
    reservation_expired: bool | None = None,
) -> SessionPrice:
    """Price one session's charging periods (2.2.1 ChargingPeriod JSON) under `terms`.

    `time_zone` is the Location's IANA zone (None or "" = UTC, as for a 2.1.1 Location without one).
    `reservation_expired` defaults to: the session has reservation periods and no charging period.
    """
    zone = ZoneInfo(time_zone) if time_zone else UTC
    periods = _periods(charging_periods, zone=zone, start=start)
    charging_elements = [e for e in terms.elements if e.restrictions is None or e.restrictions.reservation is None]
    has_charging = any(not p.reservation for p in periods)
    if reservation_expired is None:
        reservation_expired = not has_charging
    reserved = [e for e in terms.elements if e.restrictions is not None and e.restrictions.reservation == RESERVATION]
    if reservation_expired:
        expired = [
            e
            for e in terms.elements
            if e.restrictions is not None and e.restrictions.reservation == RESERVATION_EXPIRES
        ]
        reservation_elements = expired + reserved
    else:
        reservation_elements = reserved

    lines: list[_Line] = []
    flat_billed = {False: False, True: False}
    for period in periods:
        active: dict[int, bool] = {}
        elements = reservation_elements if period.reservation else charging_elements
        if not flat_billed[period.reservation]:
            flat = _component(elements, FLAT, period, active)
            if flat is not None:
                flat_billed[period.reservation] = True
                lines.append(_Line(period.index, FLAT, period.reservation, Decimal(1), flat))
        if period.reservation:
            hours = period.volumes.get("RESERVATION_TIME", _ZERO)
            component = _component(elements, TIME, period, active)
            if component is not None:
                seconds = (hours * _SECONDS_PER_HOUR).quantize(_MILLI, rounding=ROUND_HALF_UP)
                lines.append(_Line(period.index, TIME, True, seconds, component))
            continue
        energy = period.volumes.get(ENERGY)
        if energy is not None and energy > 0:
            component = _component(elements, ENERGY, period, active)
            if component is not None:
                wh = (energy * _WH_PER_KWH).quantize(_MILLI, rounding=ROUND_HALF_UP)
                lines.append(_Line(period.index, ENERGY, False, wh, component))
        for dimension in (TIME, PARKING_TIME):
            hours = period.volumes.get(dimension)
            if hours is not None and hours > 0:
                component = _component(elements, dimension, period, active)
                if component is not None:
                    seconds = (hours * _SECONDS_PER_HOUR).quantize(_MILLI, rounding=ROUND_HALF_UP)
                    lines.append(_Line(period.index, dimension, False, seconds, component))

    charging_lines = [line for line in lines if not line.reservation]
    _round_up_last(charging_lines, (ENERGY,))
    _round_up_last(charging_lines, (TIME, PARKING_TIME))
    _round_up_last([line for line in lines if line.reservation], (TIME,))

    billed = []
    costs = {"energy": NO_COST, "time": NO_COST, "parking": NO_COST, "fixed": NO_COST, "reservation": NO_COST}
    quantities = {"energy": _ZERO, "time": _ZERO, "parking": _ZERO, "reservation": _ZERO}
    for line in lines:
        price = line.component.price
        if line.dimension == FLAT:
            quantity, excl = Decimal(1), price
        elif line.dimension == ENERGY:
            quantity = line.amount / _WH_PER_KWH
            excl = quantity * price
        else:
            quantity = line.amount / _SECONDS_PER_HOUR
            excl = line.amount * price / _SECONDS_PER_HOUR
        cost = line.component.cost(excl)
        category = _category(line)
        costs[category] = costs[category] + cost
        if line.dimension != FLAT:
            quantities[category] += quantity
        billed.append(BilledLine(line.period, line.dimension, line.reservation, quantity, line.component, cost))

    total = costs["energy"] + costs["time"] + costs["parking"] + costs["fixed"] + costs["reservation"]
    total = _bounded(total, terms)
    charging = [p for p in periods if not p.reservation]
    total_parking = sum((p.volumes.get(PARKING_TIME, _ZERO) for p in charging), _ZERO)
    timed = [p for p in charging if TIME in p.volumes or PARKING_TIME in p.volumes]
    if timed:
        total_time = sum((p.volumes.get(TIME, _ZERO) for p in charging), _ZERO) + total_parking
    elif charging and charging_periods:
        total_time = Decimal((end - charging[0].start).total_seconds()) / _SECONDS_PER_HOUR
    else:
        total_time = _ZERO
    return SessionPrice(
        currency=currency,
        total_energy=sum((p.volumes.get(ENERGY, _ZERO) for p in charging), _ZERO),
        total_time=total_time.quantize(HOURS, rounding=ROUND_HALF_UP),
        total_parking_time=total_parking,
        total_reservation_time=sum((p.volumes.get("RESERVATION_TIME", _ZERO) for p in periods), _ZERO),
        billed_energy=quantities["energy"],
        billed_time=quantities["time"].quantize(HOURS, rounding=ROUND_HALF_UP),
        billed_parking_time=quantities["parking"].quantize(HOURS, rounding=ROUND_HALF_UP),
        billed_reservation_time=quantities["reservation"].quantize(HOURS, rounding=ROUND_HALF_UP),
        total_energy_cost=costs["energy"].rounded(),
        total_time_cost=costs["time"].rounded(),
        total_parking_cost=costs["parking"].rounded(),
        total_fixed_cost=costs["fixed"].rounded(),
        total_reservation_cost=costs["reservation"].rounded(),
        total_cost=total.rounded(),
        lines=tuple(billed),
    )


def _category(line: _Line) -> str:
    if line.reservation:
        return "reservation"
    return {ENERGY: "energy", TIME: "time", PARKING_TIME: "parking", FLAT: "fixed"}[line.dimension]


def _bounded(total: Money, terms: TariffTerms) -> Money:
    excl, incl = total.excl_vat, total.incl_vat
    if terms.min_price is not None:
        excl, incl = max(excl, terms.min_price.excl_vat), max(incl, terms.min_price.incl_vat)
    if terms.max_price is not None:
        excl, incl = min(excl, terms.max_price.excl_vat), min(incl, terms.max_price.incl_vat)
    return Money(excl, incl)
