"""The pricing engine against the specification: every worked example of the 2.2.1 tariffs chapter (and
the step_size examples of the CDRs chapter) priced to the spec's numbers, the 2.1.1 examples, one test
per restriction kind, and invariants that must hold for any session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roaming.ocpi.v2_1_1.tariffs import Tariffs as Tariffs211
from tariffs.pricing import ENERGY, PARKING_TIME, TIME, Money, parse_terms, price_session
from tests.spec_examples import example, example_221, example_230, examples_211

BERLIN = ZoneInfo("Europe/Berlin")


def d(text: str) -> Decimal:
    return Decimal(text)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def period(at: datetime, **volumes) -> dict:
    """A 2.2.1 ChargingPeriod as stored: UTC text and float volumes."""
    return {
        "start_date_time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dimensions": [{"type": name, "volume": volume} for name, volume in volumes.items()],
    }


def price(tariff: dict, periods: list[dict], *, start: datetime, end: datetime, zone="Europe/Berlin", **kwargs):
    terms = parse_terms(
        elements=tariff["elements"],
        min_price=tariff.get("min_price"),
        max_price=tariff.get("max_price"),
        tax_included=tariff.get("tax_included", ""),
    )
    return price_session(
        terms=terms, start=start, end=end, charging_periods=periods, time_zone=zone, currency="EUR", **kwargs
    )


def cost(excl: str, incl: str) -> Money:
    return Money(d(excl), d(incl))


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def element(*components, **restrictions) -> dict:
    out = {
        "price_components": [
            {"type": t, "price": p, "step_size": s, **({"vat": v} if v is not None else {})}
            for t, p, s, v in components
        ]
    }
    if restrictions:
        out["restrictions"] = restrictions
    return out


MONDAY = local(2024, 1, 15, 9, 30)
SATURDAY = local(2024, 1, 20, 13, 30)


def energy_session(kwh: float, *, start=MONDAY, hours=2.0, parking_minutes=0) -> tuple[list[dict], datetime]:
    periods = [period(start, ENERGY=kwh, TIME=hours)]
    end = start + timedelta(hours=hours)
    if parking_minutes:
        periods.append(period(end, PARKING_TIME=parking_minutes / 60))
        end += timedelta(minutes=parking_minutes)
    return periods, end


# --- The worked examples of mod_tariffs.asciidoc (2.2.1) ----------------------------------------------------------


def test_simple_025_per_kwh_20_kwh_costs_5_00_or_5_50():
    periods, end = energy_session(20)
    priced = price(example_221("tariff_8_simple_025kwh.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("5.00", "5.50")
    assert priced.total_energy_cost == cost("5.00", "5.50")
    assert priced.billed_energy == d("20")


def test_025_per_kwh_and_start_fee_costs_5_50_or_6_10():
    periods, end = energy_session(20)
    priced = price(example_221("tariff_9_025kwh_start.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("5.50", "6.10")
    assert priced.total_fixed_cost == cost("0.50", "0.60")


def test_minimum_price_applies_below_2_kwh_only():
    tariff = example_221("tariff_12_025kwh_min_price.json")
    periods, end = energy_session(20)
    assert price(tariff, periods, start=MONDAY, end=end).total_cost == cost("5.00", "5.50")
    periods, end = energy_session(1)
    low = price(tariff, periods, start=MONDAY, end=end)
    assert low.total_cost == cost("0.50", "0.55")
    assert low.total_energy_cost == cost("0.25", "0.275"), "the minimum bounds the total, not the energy cost"


def test_parking_fee_40_minutes_billed_as_45():
    periods, end = energy_session(20, parking_minutes=40)
    priced = price(example_221("tariff_10_025kwh_parking_start.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("7.00", "7.90")
    assert priced.billed_parking_time == d("0.75")
    assert priced.total_parking_time == pytest.approx(d("0.666667"), abs=d("0.000001"))


def test_maximum_price_caps_50_kwh_but_not_30_kwh():
    tariff = example_221("tariff_6_025kwh_start_max_price.json")
    periods, end = energy_session(50)
    assert price(tariff, periods, start=MONDAY, end=end).total_cost == cost("10.00", "11.00")
    periods, end = energy_session(30)
    assert price(tariff, periods, start=MONDAY, end=end).total_cost == cost("8.00", "8.85")


def test_simple_2_euro_per_hour_for_2_5_hours():
    periods, end = energy_session(10, hours=2.5, parking_minutes=30)
    priced = price(example_221("tariff_1_simple_2hour.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("5.00", "5.50"), "PARKING_TIME is not priced, so not billed"
    assert priced.total_time == d("3")


def test_3_per_hour_and_5_per_hour_parking_42_minutes_billed_as_45():
    periods, end = energy_session(10, hours=2.5, parking_minutes=42)
    priced = price(example_221("tariff_13_simple_3hour_5parking.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("11.25", "12.75")
    assert priced.total_time_cost == cost("7.50", "8.25")
    assert priced.total_parking_cost == cost("3.75", "4.50")


def test_ad_hoc_1_90_per_hour_with_5_2_percent_vat():
    periods, end = energy_session(10, hours=2.5)
    priced = price(example_221("tariff_2_alt_text.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("4.75", "4.997")
    assert cents(priced.total_cost.incl_vat) == d("5.00"), "the spec shows it to the cent"


def test_alt_url_tariff_20_45_kwh_billed_as_20_5_kwh():
    periods, end = energy_session(20.45)
    priced = price(example_221("tariff_3_alt_url.json"), periods, start=MONDAY, end=end)
    assert priced.billed_energy == d("20.5")
    assert priced.total_fixed_cost == cost("0.50", "0.60")
    assert priced.total_energy_cost == cost("5.125", "5.6375")
    assert priced.total_cost == cost("5.625", "6.2375")
    # The spec's breakdown table, to the cent: half-up rounding gives its numbers.
    assert [cents(v) for v in (*vars_of(priced.total_energy_cost), *vars_of(priced.total_cost))] == [
        d("5.13"),
        d("5.64"),
        d("5.63"),
        d("6.24"),
    ]


def test_2_3_0_alt_url_breakdown_prices_the_20_45_kwh_charged():
    """The 2.3.0 chapter's breakdown table prices the 20.45 kWh charged (5.11 + 0.50 = 5.61, 6.22 incl. VAT),
    where its text bills 20.5 kWh by the step_size (5.13, as the 2.2.1 test above): the table is the tariff
    with a step_size of 1, which the chapter's new step_size note advises."""
    tariff = example_230("tariff_3_alt_url.json")
    tariff["elements"][0]["price_components"][1]["step_size"] = 1
    periods, end = energy_session(20.45)
    priced = price(tariff, periods, start=MONDAY, end=end)
    assert [cents(v) for v in (*vars_of(priced.total_energy_cost), *vars_of(priced.total_cost))] == [
        d("5.11"),
        d("5.62"),
        d("5.61"),
        d("6.22"),
    ]
    billed = price(example_230("tariff_3_alt_url.json"), periods, start=MONDAY, end=end)
    assert cents(billed.total_energy_cost.excl_vat) == d("5.13")


def vars_of(money: Money) -> tuple[Decimal, Decimal]:
    return money.excl_vat, money.incl_vat


def test_complex_tariff_monday_morning_16_amperes():
    end_of_charging = MONDAY + timedelta(minutes=165)
    periods = [
        period(MONDAY, ENERGY=7.5, TIME=2.75, MAX_CURRENT=16, MIN_CURRENT=6),
        period(end_of_charging, PARKING_TIME=42 / 60),
    ]
    priced = price(
        example_221("tariff_4_complex.json"), periods, start=MONDAY, end=end_of_charging + timedelta(minutes=42)
    )
    assert priced.total_fixed_cost == cost("2.50", "2.875")
    assert priced.total_time_cost == cost("2.75", "3.30")
    assert priced.total_parking_cost == cost("3.75", "4.125")
    assert priced.total_cost == cost("9.00", "10.30")
    assert (priced.billed_time, priced.billed_parking_time) == (d("2.75"), d("0.75"))


def test_complex_tariff_saturday_afternoon_43_amperes():
    """The spec's table gives charging time 114 minutes at 1.25 per hour as 2.28 (2.736 incl.) and a total of
    12.28 (13.861 incl.); but 114 minutes are 1.9 hours and 1.9 x 1.25 = 2.375 (2.28 is 1.9 x 1.20, a price this
    tariff does not have), and the errata leave the example as it is. The flat fee and the parking (71 minutes
    billed as 75 at 6.00) are as the spec says; the charging time is priced at the tariff's 1.25."""
    end_of_charging = SATURDAY + timedelta(minutes=114)
    periods = [
        period(SATURDAY, ENERGY=40, TIME=1.9, MIN_CURRENT=43, MAX_CURRENT=48),
        period(end_of_charging, PARKING_TIME=71 / 60),
    ]
    priced = price(
        example_221("tariff_4_complex.json"), periods, start=SATURDAY, end=end_of_charging + timedelta(minutes=71)
    )
    assert priced.billed_time == d("1.9"), "114 minutes, not rounded: parking follows"
    assert priced.total_time_cost == cost("2.375", "2.85")
    assert priced.total_fixed_cost == cost("2.50", "2.875")
    assert priced.total_parking_cost == cost("7.50", "8.25")
    assert priced.billed_parking_time == d("1.25")
    assert priced.total_cost == cost("12.375", "13.975")


def test_free_of_charge_tariff():
    periods, end = energy_session(30, parking_minutes=60)
    priced = price(example_221("tariff_5_free_of_charge.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("0", "0")
    assert priced.total_energy == d("30")


def reserved_then_charged(reserved_minutes: int, kwh: float = 20) -> tuple[list[dict], datetime, datetime]:
    reserved_at = MONDAY - timedelta(minutes=reserved_minutes)
    periods = [period(reserved_at, RESERVATION_TIME=reserved_minutes / 60), period(MONDAY, ENERGY=kwh, TIME=1.0)]
    return periods, reserved_at, MONDAY + timedelta(hours=1)


def expired_reservation(minutes: int) -> tuple[list[dict], datetime, datetime]:
    return [period(MONDAY, RESERVATION_TIME=minutes / 60)], MONDAY, MONDAY + timedelta(minutes=minutes)


def test_reservation_5_per_hour_15_minutes_then_20_kwh():
    periods, start, end = reserved_then_charged(15)
    priced = price(example_221("tariff_15_reservation_5_euro_per_hour.json"), periods, start=start, end=end)
    assert priced.total_reservation_cost == cost("1.25", "1.50")
    assert priced.total_cost == cost("6.75", "7.60")
    assert priced.total_time_cost == cost("0", "0"), "charging TIME is not priced by the reservation element"


def test_reservation_fee_and_5_per_hour_13_minutes_billed_as_15():
    periods, start, end = reserved_then_charged(13)
    priced = price(example_221("tariff_16_reservation_2_euro_fee_5_euro_per_hour.json"), periods, start=start, end=end)
    assert priced.total_reservation_cost == cost("3.25", "3.90"), "2.00 fee + 15 minutes at 5.00"
    assert priced.total_fixed_cost == cost("0.50", "0.60")
    assert priced.billed_reservation_time == d("0.25")
    assert priced.total_cost == cost("8.75", "10.00")


def test_reservation_with_expire_fee_used_and_expired():
    tariff = example_221("tariff_17_reservation_with_expire_fee.json")
    periods, start, end = reserved_then_charged(22)
    assert price(tariff, periods, start=start, end=end).total_cost == cost("6.50", "7.30")
    periods, start, end = expired_reservation(60)
    expired = price(tariff, periods, start=start, end=end)
    assert expired.total_reservation_cost == cost("6.00", "7.20"), "4.00 expiry fee + 60 minutes at 2.00"
    assert expired.total_fixed_cost == cost("0", "0"), "no charging session, no start fee"
    assert expired.total_cost == cost("6.00", "7.20")


def test_reservation_with_expire_time_used_and_expired():
    tariff = example_221("tariff_18_reservation_with_expire_time.json")
    periods, start, end = reserved_then_charged(22)
    assert price(tariff, periods, start=start, end=end).total_cost == cost("7.00", "7.90")
    periods, start, end = expired_reservation(90)
    assert price(tariff, periods, start=start, end=end).total_cost == cost("9.00", "10.80")


def step_tariff() -> dict:
    return example_221("tariff_14_step_size.json")


def test_step_size_switching_element_1():
    """16:55 charge 10 minutes, park 2: time not rounded, parking rounded to 15 minutes: 0.10 + 0.20 + 0.25."""
    periods = [
        period(local(2024, 1, 15, 16, 55), TIME=5 / 60),
        period(local(2024, 1, 15, 17, 0), TIME=5 / 60),
        period(local(2024, 1, 15, 17, 5), PARKING_TIME=2 / 60),
    ]
    priced = price(step_tariff(), periods, start=local(2024, 1, 15, 16, 55), end=local(2024, 1, 15, 17, 7))
    assert priced.total_time_cost.excl_vat == d("0.30")
    assert priced.total_parking_cost.excl_vat == d("0.25")
    assert priced.total_cost.excl_vat == d("0.55")


def test_step_size_switching_element_2():
    """16:35 charge 35 minutes: 35 rounded to 45 with the last element's 15 minutes; 25 at 1.20, 20 at 2.40."""
    periods = [period(local(2024, 1, 15, 16, 35), TIME=25 / 60), period(local(2024, 1, 15, 17, 0), TIME=10 / 60)]
    priced = price(step_tariff(), periods, start=local(2024, 1, 15, 16, 35), end=local(2024, 1, 15, 17, 10))
    assert [(line.quantity.quantize(d("0.0001")), line.component.price) for line in priced.lines] == [
        (d("0.4167"), d("1.2")),
        (d("0.3333"), d("2.4")),
    ]
    assert priced.total_cost.excl_vat == d("1.30")
    assert priced.billed_time == d("0.75")


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_step_size_switching_to_free_of_charge_element_follows_the_erratum(version):
    """19:40 charge 12 minutes (2.40/h), park 20 minutes of which 8 before 20:00 (1.00/h) are billed as 15.

    The 2.2.1-d2 text prices this at 0.80 (charging at 1.20/h, parking at 2.40/h), which contradicts its own
    tariff; the release-2.2.1-bugfixes erratum corrects the table to 0.48 + 0.25 = 0.73, and 2.3.0 has the
    corrected table."""
    periods = [
        period(local(2024, 1, 15, 19, 40), TIME=12 / 60),
        period(local(2024, 1, 15, 19, 52), PARKING_TIME=8 / 60),
        period(local(2024, 1, 15, 20, 0), PARKING_TIME=12 / 60),
    ]
    tariff = example(version, "tariff_14_step_size.json")
    priced = price(tariff, periods, start=local(2024, 1, 15, 19, 40), end=local(2024, 1, 15, 20, 12))
    assert priced.total_time_cost.excl_vat == d("0.48")
    assert priced.total_parking_cost.excl_vat == d("0.25")
    assert priced.billed_parking_time == d("0.25")
    assert priced.total_cost.excl_vat == d("0.73")


def test_max_power_restriction_example():
    start = MONDAY
    periods = [
        period(start, ENERGY=1, MAX_POWER=6, MIN_POWER=6),
        period(start + timedelta(minutes=10), ENERGY=40, MAX_POWER=48, MIN_POWER=48),
        period(start + timedelta(minutes=60), ENERGY=0.5, MAX_POWER=4, MIN_POWER=4),
    ]
    priced = price(
        example_221("tariffrestriction_example_max_power.json"), periods, start=start, end=start + timedelta(hours=2)
    )
    assert priced.total_cost == cost("20.30", "24.36")


def test_max_duration_restriction_example():
    periods = [period(MONDAY, ENERGY=5), period(MONDAY + timedelta(minutes=30), ENERGY=1.2)]
    priced = price(
        example_221("tariffrestriction_example_max_duration.json"),
        periods,
        start=MONDAY,
        end=MONDAY + timedelta(minutes=40),
    )
    assert priced.total_cost.excl_vat == d("0.30")


@pytest.mark.parametrize(("step_size", "expected"), [(1, "0.029"), (25, "0.031"), (500, "0.125")])
def test_energy_step_size_note(step_size, expected):
    """PriceComponent note: 115.2 Wh at 0.25/kWh billed as 116, 125 and 500 Wh."""
    tariff = {"elements": [element((ENERGY, 0.25, step_size, None))]}
    priced = price(tariff, [period(MONDAY, ENERGY=0.1152)], start=MONDAY, end=MONDAY + timedelta(minutes=5))
    assert priced.total_cost.excl_vat.quantize(d("0.001"), rounding=ROUND_HALF_UP) == d(expected)


# --- The step_size examples of mod_cdrs.asciidoc (2.2.1) ----------------------------------------------------------


def test_cdr_step_size_energy_total_rounded_not_the_last_period():
    tariff = {
        "elements": [
            element((ENERGY, 0.20, 500, None), end_time="17:00"),
            element((ENERGY, 0.27, 500, None), start_time="17:00"),
        ]
    }
    periods = [period(local(2024, 1, 15, 16, 0), ENERGY=4.3), period(local(2024, 1, 15, 17, 0), ENERGY=1.1)]
    priced = price(tariff, periods, start=local(2024, 1, 15, 16, 0), end=local(2024, 1, 15, 17, 30))
    assert priced.billed_energy == d("5.5")
    assert priced.total_cost.excl_vat == d("1.184"), "4.3 kWh at 0.20 + 1.2 kWh at 0.27"


def test_cdr_step_size_time_total_rounded_not_the_last_period():
    tariff = {
        "elements": [
            element((TIME, 5, 600, None), end_time="17:00"),
            element((TIME, 7, 600, None), start_time="17:00"),
        ]
    }
    periods = [period(local(2024, 1, 15, 16, 54), TIME=6 / 60), period(local(2024, 1, 15, 17, 0), TIME=22 / 60)]
    priced = price(tariff, periods, start=local(2024, 1, 15, 16, 54), end=local(2024, 1, 15, 17, 22))
    assert priced.billed_time == d("0.5")
    assert priced.total_cost.excl_vat == d("3.30"), "6 minutes at 5.00 + 24 minutes at 7.00"


@pytest.mark.parametrize(
    ("charging", "parking", "step", "billed_charging", "billed_parking"),
    [(21, 7, 300, 21, 10), (21, 16, 600, 21, 20)],
)
def test_cdr_step_size_only_parking_rounded_when_parking_follows(
    charging, parking, step, billed_charging, billed_parking
):
    tariff = {"elements": [element((TIME, 1, step, None), (PARKING_TIME, 2, step, None))]}
    periods = [
        period(MONDAY, TIME=charging / 60),
        period(MONDAY + timedelta(minutes=charging), PARKING_TIME=parking / 60),
    ]
    priced = price(tariff, periods, start=MONDAY, end=MONDAY + timedelta(minutes=charging + parking))
    assert priced.billed_time * 60 == pytest.approx(billed_charging, abs=1e-4)
    assert priced.billed_parking_time * 60 == pytest.approx(billed_parking, abs=1e-4)


# --- 2.1.1 (mod_tariffs.md): its examples, translated into the internal shape -----------------------------------


def tariffs_211() -> list[dict]:
    """The chapter's complete Tariff objects (its other blocks are PATCH bodies and fragments)."""
    blocks = [block["json"] for block in examples_211("mod_tariffs")]
    return [Tariffs211().from_wire(b) for b in blocks if b and "elements" in b and "last_updated" in b]


def test_211_complex_example_priced_per_dimension_without_vat():
    """The 2.1.1 complex tariff (power instead of current restrictions, no VAT), Monday morning at 11 kW:
    FLAT 2.50 + 165 minutes at 1.00 + 45 minutes parking at 5.00, as in the 2.2.1 chapter; incl = excl."""
    complex_211 = next(t for t in tariffs_211() if t["tariff_id"] == "11")
    end_of_charging = MONDAY + timedelta(minutes=165)
    periods = [period(MONDAY, ENERGY=30, TIME=2.75, MAX_POWER=11), period(end_of_charging, PARKING_TIME=0.7)]
    priced = price(complex_211, periods, start=MONDAY, end=end_of_charging + timedelta(minutes=42))
    assert priced.total_cost == cost("9.00", "9.00")


def test_211_simple_and_free_examples():
    simple, *_, free = tariffs_211()
    periods, end = energy_session(10, hours=1.95)  # 117 minutes billed per 5 minutes: 120
    assert price(simple, periods, start=MONDAY, end=end).total_cost == cost("4.00", "4.00")
    assert free["elements"][0]["price_components"][0]["step_size"] == 0
    assert price(free, periods, start=MONDAY, end=end).total_cost == cost("0", "0")


def test_211_location_without_time_zone_reads_times_in_utc():
    tariff = {
        "elements": [element((ENERGY, 1, 1, None), start_time="09:00", end_time="10:00"), element((ENERGY, 2, 1, None))]
    }
    at = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    periods = [period(at, ENERGY=1)]
    assert price(tariff, periods, start=at, end=at + timedelta(minutes=10), zone=None).total_cost.excl_vat == d("1")
    assert price(tariff, periods, start=at, end=at + timedelta(minutes=10)).total_cost.excl_vat == d("2")


# --- One test per restriction kind -------------------------------------------------------------------------------


def two_rates(**restrictions) -> dict:
    """Energy at 1.00 while the restrictions hold, else at 2.00."""
    return {"elements": [element((ENERGY, 1, 1, None), **restrictions), element((ENERGY, 2, 1, None))]}


def energy_at(tariff: dict, at: datetime, **volumes) -> Decimal:
    periods = [period(at, ENERGY=1, **volumes)]
    return price(tariff, periods, start=at, end=at + timedelta(minutes=10)).total_cost.excl_vat


def test_start_and_end_time_in_local_time():
    tariff = two_rates(start_time="09:00", end_time="17:00")
    assert energy_at(tariff, local(2024, 1, 15, 9, 0)) == 1, "start_time inclusive"
    assert energy_at(tariff, local(2024, 1, 15, 16, 59)) == 1
    assert energy_at(tariff, local(2024, 1, 15, 17, 0)) == 2, "end_time exclusive"
    assert energy_at(tariff, local(2024, 1, 15, 8, 30)) == 2, "08:30 local is 07:30 UTC: neither is in"
    assert energy_at(tariff, datetime(2024, 1, 15, 16, 30, tzinfo=UTC)) == 2, "16:30 UTC is 17:30 in Berlin"
    assert energy_at(tariff, datetime(2024, 7, 15, 15, 30, tzinfo=UTC)) == 2, "15:30 UTC is 17:30 in Berlin summer"


def test_time_window_over_midnight():
    tariff = two_rates(start_time="22:00", end_time="06:00")
    assert energy_at(tariff, local(2024, 1, 15, 22, 0)) == 1
    assert energy_at(tariff, local(2024, 1, 15, 23, 59)) == 1
    assert energy_at(tariff, local(2024, 1, 16, 0, 0)) == 1
    assert energy_at(tariff, local(2024, 1, 16, 5, 59)) == 1
    assert energy_at(tariff, local(2024, 1, 16, 6, 0)) == 2
    assert energy_at(tariff, local(2024, 1, 15, 21, 59)) == 2
    session = [period(local(2024, 1, 15, 21, 0), ENERGY=3), period(local(2024, 1, 15, 22, 0), ENERGY=5)]
    priced = price(tariff, session, start=local(2024, 1, 15, 21, 0), end=local(2024, 1, 15, 23, 0))
    assert priced.total_cost.excl_vat == d("11"), "3 kWh at 2.00 before 22:00, 5 kWh at 1.00 after"


def test_end_time_midnight_is_end_of_day():
    tariff = two_rates(start_time="20:00", end_time="00:00")
    assert energy_at(tariff, local(2024, 1, 15, 23, 59)) == 1
    assert energy_at(tariff, local(2024, 1, 16, 0, 0)) == 2


def test_start_and_end_date_local_and_end_exclusive():
    tariff = two_rates(start_date="2024-12-24", end_date="2024-12-27")
    assert energy_at(tariff, local(2024, 12, 23, 23, 59)) == 2
    assert energy_at(tariff, datetime(2024, 12, 23, 23, 30, tzinfo=UTC)) == 1, "already the 24th in Berlin"
    assert energy_at(tariff, local(2024, 12, 26, 23, 59)) == 1
    assert energy_at(tariff, local(2024, 12, 27, 0, 0)) == 2


def test_min_and_max_kwh_on_energy_charged_before_the_period():
    tariff = {
        "elements": [
            element((ENERGY, 1, 1, None), max_kwh=10),
            element((ENERGY, 2, 1, None), min_kwh=10, max_kwh=20),
            element((ENERGY, 3, 1, None)),
        ]
    }
    periods = [
        period(MONDAY, ENERGY=10),
        period(MONDAY + timedelta(minutes=30), ENERGY=10),
        period(MONDAY + timedelta(minutes=60), ENERGY=5),
    ]
    priced = price(tariff, periods, start=MONDAY, end=MONDAY + timedelta(hours=2))
    assert priced.total_cost.excl_vat == d("45"), "10 at 1 (from 0), 10 at 2 (from 10, inclusive), 5 at 3 (from 20)"


def test_min_and_max_current():
    tariff = two_rates(min_current=16, max_current=32)
    assert energy_at(tariff, MONDAY, MIN_CURRENT=16, MAX_CURRENT=31) == 1
    assert energy_at(tariff, MONDAY, MIN_CURRENT=15, MAX_CURRENT=31) == 2, "current dropped below the minimum"
    assert energy_at(tariff, MONDAY, MIN_CURRENT=16, MAX_CURRENT=32) == 2, "max_current is exclusive"
    assert energy_at(tariff, MONDAY, CURRENT=20) == 1, "the average stands in for both extremes"
    assert energy_at(tariff, MONDAY) == 2, "not measured: does not hold"


def test_min_and_max_power():
    tariff = two_rates(min_power=11, max_power=50)
    assert energy_at(tariff, MONDAY, MIN_POWER=11, MAX_POWER=49.9) == 1
    assert energy_at(tariff, MONDAY, MIN_POWER=10.9, MAX_POWER=22) == 2
    assert energy_at(tariff, MONDAY, MIN_POWER=22, MAX_POWER=50) == 2


def test_min_and_max_duration():
    tariff = {
        "elements": [
            element((ENERGY, 1, 1, None), max_duration=1800),
            element((ENERGY, 3, 1, None), min_duration=3600),
            element((ENERGY, 2, 1, None)),
        ]
    }
    periods = [period(MONDAY + timedelta(minutes=m), ENERGY=1) for m in (0, 29, 30, 59, 60, 90)]
    priced = price(tariff, periods, start=MONDAY, end=MONDAY + timedelta(hours=2))
    assert [line.component.price for line in priced.lines] == [1, 1, 2, 2, 3, 3]


def test_day_of_week_in_local_time():
    tariff = two_rates(day_of_week=["SATURDAY", "SUNDAY"])
    assert energy_at(tariff, local(2024, 1, 20, 12, 0)) == 1
    assert energy_at(tariff, local(2024, 1, 22, 0, 0)) == 2, "Monday"
    assert energy_at(tariff, datetime(2024, 1, 19, 23, 30, tzinfo=UTC)) == 1, "Friday in UTC, Saturday in Berlin"


def test_reservation_elements_price_only_reservation_time():
    tariff = {
        "elements": [
            element((TIME, 6, 1, None), reservation="RESERVATION"),
            element((TIME, 1, 1, None), (ENERGY, 0, 1, None)),
        ]
    }
    periods, start, end = reserved_then_charged(30)
    priced = price(tariff, periods, start=start, end=end)
    assert priced.total_reservation_cost.excl_vat == d("3")
    assert priced.total_time_cost.excl_vat == d("1")
    assert priced.total_reservation_time == d("0.5")


def test_expired_reservation_prefers_expires_element_wherever_it_is_listed():
    tariff = {
        "elements": [
            element((TIME, 3, 1, None), reservation="RESERVATION"),
            element((TIME, 6, 1, None), reservation="RESERVATION_EXPIRES"),
        ]
    }
    periods, start, end = expired_reservation(30)
    assert price(tariff, periods, start=start, end=end).total_cost.excl_vat == d("3")
    used, start, end = reserved_then_charged(30)
    assert price(tariff, used, start=start, end=end).total_cost.excl_vat == d("1.5")


def test_first_matching_element_per_dimension():
    """ENERGY from the first element, TIME from the second: the first has none, so it does not shadow it."""
    tariff = {
        "elements": [
            element((ENERGY, 1, 1, None)),
            element((TIME, 4, 1, None), (ENERGY, 9, 1, None)),
            element((TIME, 8, 1, None)),
        ]
    }
    priced = price(tariff, [period(MONDAY, ENERGY=2, TIME=0.5)], start=MONDAY, end=MONDAY + timedelta(minutes=30))
    assert (priced.total_energy_cost.excl_vat, priced.total_time_cost.excl_vat) == (d("2"), d("2"))


def test_flat_billed_once_per_session_from_the_first_period_with_one():
    tariff = {
        "elements": [
            element(("FLAT", 1, 1, 20), start_time="18:00"),
            element(("FLAT", 3, 1, 20), (ENERGY, 0, 1, None)),
        ]
    }
    periods = [period(local(2024, 1, 15, 17, 0 + m), ENERGY=1) for m in (0, 30)] + [
        period(local(2024, 1, 15, 18, m), ENERGY=1) for m in (0, 30)
    ]
    priced = price(tariff, periods, start=local(2024, 1, 15, 17, 0), end=local(2024, 1, 15, 19, 0))
    assert priced.total_fixed_cost == cost("3", "3.6")
    assert [line.dimension for line in priced.lines].count("FLAT") == 1


def test_session_without_periods_still_owes_its_flat_fee():
    priced = price(example_221("tariff_9_025kwh_start.json"), [], start=MONDAY, end=MONDAY + timedelta(minutes=1))
    assert priced.total_cost == cost("0.50", "0.60")


def test_vat_per_component_and_absent_vat_is_no_vat():
    tariff = {"elements": [element((ENERGY, 1, 1, 21), (TIME, 1, 1, 0), (PARKING_TIME, 1, 1, None))]}
    periods = [period(MONDAY, ENERGY=10, TIME=1), period(MONDAY + timedelta(hours=1), PARKING_TIME=1)]
    priced = price(tariff, periods, start=MONDAY, end=MONDAY + timedelta(hours=2))
    assert priced.total_energy_cost == cost("10", "12.1")
    assert priced.total_time_cost == cost("1", "1")
    assert priced.total_parking_cost == cost("1", "1")
    assert priced.total_cost == cost("12", "14.1")


def test_a_price_keeps_its_vat_per_rate_adding_up_to_its_vat_after_rounding_and_bounds():
    tariff = {"elements": [element((ENERGY, 0.33333, 1, 21), (TIME, 1, 1, 9), (PARKING_TIME, 1, 1, None))]}
    periods = [period(MONDAY, ENERGY=10, TIME=1), period(MONDAY + timedelta(hours=1), PARKING_TIME=1)]
    priced = price(tariff, periods, start=MONDAY, end=MONDAY + timedelta(hours=2))
    # 3.3333 x 21% = 0.699993 and 1 x 9% = 0.09: the rounded 0.79 VAT is shared, no tax for parking.
    assert priced.price() == {
        "excl_vat": 5.3333,
        "incl_vat": 6.1233,
        "taxes": [{"name": "VAT", "percentage": 9, "amount": 0.09}, {"name": "VAT", "percentage": 21, "amount": 0.7}],
    }
    assert priced.price("time")["taxes"] == [{"name": "VAT", "percentage": 9, "amount": 0.09}]
    assert "taxes" not in priced.price("parking")
    # A capped total shares its VAT between the rates in proportion.
    capped = price(
        {**tariff, "max_price": {"excl_vat": 100, "incl_vat": 5.5333}},
        periods,
        start=MONDAY,
        end=MONDAY + timedelta(hours=2),
    )
    assert [t["amount"] for t in capped.price()["taxes"]] == [0.0228, 0.1772]


def test_min_and_max_price_bound_excl_and_incl_vat_each():
    """The bounds apply to excl. and incl. VAT on their own: here only the incl. VAT total reaches the cap."""
    tariff = {
        "elements": [element((ENERGY, 1, 1, 50))],
        "max_price": {"excl_vat": 10, "incl_vat": 12},
        "min_price": {"excl_vat": 2, "incl_vat": 2.5},
    }
    periods = [period(MONDAY, ENERGY=9)]
    priced = price(tariff, periods, start=MONDAY, end=MONDAY + timedelta(hours=1))
    assert priced.total_cost == cost("9", "12")
    priced = price(tariff, [period(MONDAY, ENERGY=1.5)], start=MONDAY, end=MONDAY + timedelta(hours=1))
    assert priced.total_cost == cost("2", "2.5")
    without_incl = {**tariff, "min_price": {"excl_vat": 2}}
    priced = price(without_incl, [period(MONDAY, ENERGY=1)], start=MONDAY, end=MONDAY + timedelta(hours=1))
    assert priced.total_cost == cost("2", "2"), "a bound without incl_vat bounds incl. VAT by its excl. amount"


def test_money_is_rounded_once_half_up_to_4_decimals():
    tariff = {"elements": [element((ENERGY, 0.33333, 1, 19))]}
    priced = price(tariff, [period(MONDAY, ENERGY=0.005)], start=MONDAY, end=MONDAY + timedelta(hours=1))
    assert priced.total_cost.excl_vat == d("0.0017"), "0.00166665 half up"
    assert priced.total_cost.incl_vat == d("0.0020"), "0.0019833135 half up"


def test_imprecise_hours_do_not_cost_an_extra_step():
    tariff = {"elements": [element((TIME, 6, 300, None))]}
    priced = price(tariff, [period(MONDAY, TIME=0.7500001)], start=MONDAY, end=MONDAY + timedelta(minutes=45))
    assert priced.total_cost.excl_vat == d("4.5")


# --- Invariants, for any session ---------------------------------------------------------------------------------

restriction_values = st.fixed_dictionaries(
    {},
    optional={
        "start_time": st.sampled_from(["00:00", "06:00", "17:00", "22:00"]),
        "end_time": st.sampled_from(["00:00", "06:00", "18:00", "23:00"]),
        "min_kwh": st.integers(0, 40),
        "max_kwh": st.integers(1, 60),
        "min_power": st.integers(0, 50),
        "max_power": st.integers(1, 150),
        "max_duration": st.integers(60, 20000),
        "day_of_week": st.lists(st.sampled_from(["MONDAY", "SATURDAY", "SUNDAY"]), min_size=1, unique=True),
    },
)
prices = st.decimals(min_value=0, max_value=5, places=3).map(float)
vats = st.one_of(st.none(), st.sampled_from([0, 5.5, 19, 21]))
components = st.tuples(
    st.sampled_from(["ENERGY", "TIME", "PARKING_TIME", "FLAT"]), prices, st.sampled_from([0, 1, 60, 300, 500]), vats
)
elements = st.lists(
    st.builds(lambda comps, r: element(*comps, **r), st.lists(components, min_size=1, max_size=3), restriction_values),
    min_size=1,
    max_size=5,
)
bounds = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=30, places=2).map(lambda v: {"excl_vat": float(v), "incl_vat": float(v) * 1.2}),
)
sessions = st.lists(
    st.tuples(
        st.integers(1, 90),  # minutes
        st.decimals(min_value=0, max_value=30, places=3).map(float),  # kWh
        st.booleans(),  # parking
        st.integers(1, 120),  # power
    ),
    min_size=1,
    max_size=12,
)


def build_periods(start: datetime, shape) -> tuple[list[dict], datetime]:
    periods, at = [], start
    for minutes, kwh, parking, power in shape:
        if parking:
            periods.append(period(at, PARKING_TIME=minutes / 60))
        else:
            periods.append(period(at, ENERGY=kwh, TIME=minutes / 60, MIN_POWER=power / 2, MAX_POWER=power))
        at += timedelta(minutes=minutes)
    return periods, at


starts = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31)).map(
    lambda v: v.replace(tzinfo=UTC)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elements=elements, min_price=bounds, max_price=bounds, start=starts, shape=sessions)
def test_invariants(elements, min_price, max_price, start, shape):
    tariff = {"elements": elements, "min_price": min_price, "max_price": max_price}
    periods, end = build_periods(start, shape)
    priced = price(tariff, periods, start=start, end=end)
    total = priced.total_cost
    parts = (
        priced.total_energy_cost,
        priced.total_time_cost,
        priced.total_parking_cost,
        priced.total_fixed_cost,
        priced.total_reservation_cost,
    )
    for money in (total, *parts):
        assert money.excl_vat >= 0
        assert money.incl_vat >= money.excl_vat
    if min_price and (not max_price or max_price["excl_vat"] >= min_price["excl_vat"]):
        assert total.excl_vat >= Decimal(str(min_price["excl_vat"])).quantize(Decimal("0.0001"))
    if max_price and (not min_price or max_price["excl_vat"] >= min_price["excl_vat"]):
        assert total.excl_vat <= Decimal(str(max_price["excl_vat"])).quantize(Decimal("0.0001"))
    if not min_price and not max_price:
        assert abs(total.excl_vat - sum(p.excl_vat for p in parts)) <= Decimal("0.0005")


energy_elements = st.lists(
    st.builds(
        lambda comps, r: element(*comps, **r),
        st.lists(st.tuples(st.just("ENERGY"), prices, st.sampled_from([1, 100, 500]), vats), min_size=1, max_size=2),
        restriction_values,
    ),
    min_size=1,
    max_size=4,
)
charging_only = st.lists(
    st.tuples(
        st.integers(1, 90),
        st.decimals(min_value="0.001", max_value=30, places=3).map(float),
        st.just(False),
        st.integers(1, 120),
    ),
    min_size=1,
    max_size=12,
)
more_energy = st.decimals(min_value="0.001", max_value=10, places=3).map(float)


@settings(max_examples=200, deadline=None)
@given(elements=energy_elements, start=starts, shape=charging_only, more=more_energy)
def test_energy_only_tariff_cost_grows_with_energy_in_the_last_period(elements, start, shape, more):
    tariff = {"elements": elements}
    periods, end = build_periods(start, shape)
    base = price(tariff, periods, start=start, end=end).total_cost
    periods[-1]["dimensions"][0]["volume"] += more
    grown = price(tariff, periods, start=start, end=end).total_cost
    assert grown.excl_vat >= base.excl_vat and grown.incl_vat >= base.incl_vat


@settings(max_examples=200, deadline=None)
@given(
    component=st.tuples(st.just("ENERGY"), prices, st.sampled_from([1, 100, 500]), vats),
    start=starts,
    shape=charging_only,
    more=more_energy,
    which=st.integers(0, 11),
)
def test_single_price_energy_tariff_cost_grows_with_energy_in_any_period(component, start, shape, more, which):
    tariff = {"elements": [element(component)]}
    periods, end = build_periods(start, shape)
    base = price(tariff, periods, start=start, end=end).total_cost
    periods[which % len(periods)]["dimensions"][0]["volume"] += more
    grown = price(tariff, periods, start=start, end=end).total_cost
    assert grown.excl_vat >= base.excl_vat and grown.incl_vat >= base.incl_vat


def test_step_size_rule_can_make_more_energy_cheaper_with_two_prices():
    """Not monotonic in general, by the spec's own rule: the step_size round-up is billed at the last period's
    price, so energy moved into the total from a cheaper earlier period replaces dearer round-up energy.
    0.1 kWh free then 0.1 kWh at 5.00, step 500 Wh: 0.4 kWh billed at 5.00; with 0.2 kWh free first,
    only 0.3 kWh is."""
    tariff = {
        "elements": [
            element((ENERGY, 0, 500, None), end_time="17:00"),
            element((ENERGY, 5, 500, None), start_time="17:00"),
        ]
    }
    at = local(2024, 1, 15, 16, 30)

    def cost_with(first_kwh: float) -> Decimal:
        periods = [period(at, ENERGY=first_kwh), period(local(2024, 1, 15, 17, 0), ENERGY=0.1)]
        return price(tariff, periods, start=at, end=local(2024, 1, 15, 17, 30)).total_cost.excl_vat

    assert cost_with(0.1) == d("2.0")
    assert cost_with(0.2) == d("1.5")


# --- 2.3.0: tax_included (mod_tariffs.asciidoc 2.3.0, North American taxes) -----------------------------------------


def test_north_american_tax_excluded_2_5_hours_costs_5_00_plus_taxes():
    periods, end = energy_session(10, hours=2.5)
    priced = price(example_230("tariff_19_simple_north_american_exclusive.json"), periods, start=MONDAY, end=end)
    # "C$ 5.00, plus taxes according to locally applicable legislation": no vat, so no tax is known yet.
    assert priced.total_cost == cost("5.00", "5.00")
    assert priced.total_time_cost == cost("5.00", "5.00")


def test_north_american_tax_included_2_5_hours_costs_5_25_all_taxes_included():
    periods, end = energy_session(10, hours=2.5)
    priced = price(example_230("tariff_20_simple_north_american_inclusive.json"), periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("5.25", "5.25")


def test_tax_included_with_vat_takes_the_tax_out_of_the_price():
    tariff = {"elements": [element((ENERGY, 0.33, 1, 10))], "tax_included": "YES"}
    periods, end = energy_session(10)
    priced = price(tariff, periods, start=MONDAY, end=end)
    assert priced.total_cost == cost("3.0000", "3.30")


def test_tax_not_applicable_ignores_vat_and_tax_excluded_adds_it():
    periods, end = energy_session(10)
    not_applicable = price(
        {"elements": [element((ENERGY, 0.30, 1, 10))], "tax_included": "N/A"}, periods, start=MONDAY, end=end
    )
    excluded = price(
        {"elements": [element((ENERGY, 0.30, 1, 10))], "tax_included": "NO"}, periods, start=MONDAY, end=end
    )
    assert not_applicable.total_cost == cost("3.00", "3.00")
    assert excluded.total_cost == cost("3.00", "3.30")
