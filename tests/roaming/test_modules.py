"""The module table (roaming.modules) is the one list of OCPI modules: what it names is what is served,
pushed and pulled, in every version that has the module."""

from roaming import modules
from roaming.ocpi.dialects import all_dialects
from roaming.services import outbox, sync

CONFIGURATION = {"credentials", "versions"}


def test_every_functional_module_of_every_version_is_a_row():
    in_versions = {name for dialect in all_dialects() for name in dialect.modules} - CONFIGURATION
    assert in_versions == {module.identifier for module in modules.MODULES}


def test_a_rows_routes_translators_pushable_and_pullable_are_its_own_module():
    for module in modules.MODULES:
        assert {route.identifier for route in module.routes} == {module.identifier}
        if module.pushable is not None:
            assert module.pushable.module == module.identifier
        if module.pullable is not None:
            assert module.pullable.module == module.identifier
        for dialect in all_dialects():
            translator = module.translator(dialect)
            assert translator is None or translator.dialect is dialect


def test_the_outbox_and_sync_know_exactly_the_tables_pushables_and_pullables():
    for module in modules.MODULES:
        assert outbox.pushable(module.identifier) is module.pushable
        if module.pullable is not None:
            assert sync.pullable(module.identifier) is module.pullable


def test_version_2_1_1_has_no_hub_or_smart_charging_modules():
    v211 = next(d for d in all_dialects() if d.version == "2.1.1")
    present = {m.identifier for m in modules.MODULES if m.translator(v211) is not None}
    assert present == {"locations", "tariffs", "sessions", "cdrs", "tokens", "commands"}


def test_invoice_reconciliation_is_a_module_of_2_3_0_alone():
    [row] = [m for m in modules.MODULES if m.identifier == "invoicereconciliation"]
    assert [d.version for d in all_dialects() if row.translator(d) is not None] == ["2.3.0"]
