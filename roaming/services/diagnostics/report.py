"""What a diagnosis found: findings of three kinds, and per sender list the checks its pages failed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Examples kept per check.
EXAMPLES = 3

QUIRK = "quirk"  # a profile setting copes with it
TOLERATED = "tolerated"  # read past whatever the settings
PROBLEM = "problem"  # no setting fixes it


@dataclass
class Finding:
    """One thing the partner does, what kind it is and, for a quirk, the settings that cope with it."""

    kind: str
    key: str  # stable name: token_form, wrong_form_answer, unknown_token_answer, page_cap, link_unusable, ...
    text: str
    module: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    #: The partner's profile already holds `settings`.
    handled: bool = False


@dataclass(frozen=True)
class Example:
    object_id: str
    path: str
    message: str


@dataclass
class Check:
    """One kind of problem seen on a module's pages (a check, and for objects the field path), with how often."""

    check: str
    count: int = 0
    examples: list[Example] = field(default_factory=list)


@dataclass
class ModuleReport:
    module: str
    url: str
    pages: int = 0
    objects: int = 0
    valid: int = 0
    total_count: int | None = None
    walked_to_end: bool = False
    by_offset: bool = False
    checks: dict[str, Check] = field(default_factory=dict)
    #: Checks a quirk finding accounts for (a Link walked around by offset): not problems.
    explained: set[str] = field(default_factory=set)

    def add(self, check: str, message: str, *, object_id: str = "", path: str = "") -> None:
        found = self.checks.setdefault(check, Check(check))
        found.count += 1
        if len(found.examples) < EXAMPLES:
            found.examples.append(Example(object_id, path, message))

    @property
    def ok(self) -> bool:
        return not set(self.checks) - self.explained


@dataclass
class Report:
    partner: str
    version: str
    #: Token form (RAW / BASE64) -> "accepted" or why it was refused.
    token_forms: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    modules: list[ModuleReport] = field(default_factory=list)
    #: Settings whose value differs from the partner's now: what applying the diagnosis sets.
    proposals: dict[str, Any] = field(default_factory=dict)
    applied: dict[str, Any] = field(default_factory=dict)

    def found(self, kind: str, key: str, text: str, **details) -> Finding:
        finding = Finding(kind, key, text, **details)
        self.findings.append(finding)
        return finding

    @property
    def problems(self) -> list[Finding]:
        """What no setting fixes."""
        return [f for f in self.findings if f.kind == PROBLEM]

    @property
    def ok(self) -> bool:
        """Nothing wrong that the settings do not already cope with."""
        return not self.problems and not self.proposals

    def as_dict(self) -> dict:
        data = asdict(self)
        for module, report in zip(data["modules"], self.modules, strict=True):
            module["checks"] = list(module["checks"].values())
            module["explained"] = sorted(report.explained)
            module["ok"] = report.ok
        data["ok"] = self.ok
        return data
