"""What the training doctor reports: a :class:`Finding` per problem, a :class:`Report` of them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from treino.diagnostics.messages import CODES, MESSAGES, SEVERITY_WORDS
from treino.language import resolve_lang

SEVERITIES = ("critical", "warning", "info")
"""From the most to the least urgent: the report lists findings in this order."""


@dataclass
class Finding:
    """One problem the doctor found.

    Attributes:
        code: what it is — one of :data:`CODES` (``'divergence'``, ``'dead_relu'`` …).
        severity: ``'critical'`` (training is failing), ``'warning'`` (it works
            badly) or ``'info'``.
        evidence: the numbers behind the finding (``{'loss': [...], 'ratio': 1e-9}``).
        epoch: the epoch (0-based) where it was seen, when it has one.
        layer: the layer it concerns (or a comma-separated list), when it has one.
        caused_by: the code of another finding of the same report that explains
            this one (dead ReLUs after a divergence, no progress with a learning
            rate far too low …); None for a root cause.
    """

    code: str
    severity: str
    evidence: dict = field(default_factory=dict)
    epoch: int | None = None
    layer: str | None = None
    caused_by: str | None = None

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"Finding: unknown code {self.code!r}; known codes: {CODES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Finding: severity must be one of {SEVERITIES}; "
                             f"received {self.severity!r}")  # fmt: skip

    @property
    def key(self) -> tuple:
        """What makes two findings the same one (the live doctor says each only once)."""
        return (self.code, self.layer)

    def title(self, lang: str | None = None) -> str:
        return MESSAGES[resolve_lang(lang)][self.code]["title"]

    def explanation(self, lang: str | None = None) -> str:
        """Why it matters, in the course's terms."""
        return MESSAGES[resolve_lang(lang)][self.code]["why"]

    def suggestion(self, lang: str | None = None) -> str:
        """What to change."""
        return MESSAGES[resolve_lang(lang)][self.code]["fix"]

    def describe_evidence(self, lang: str | None = None) -> str:
        """The evidence in a sentence, with its numbers."""
        template = MESSAGES[resolve_lang(lang)][self.code]["evidence"]
        values = {k: _fmt(v) for k, v in self.evidence.items()}
        values.setdefault("epoch", "?" if self.epoch is None else self.epoch + 1)
        values.setdefault("layer", self.layer or "?")
        try:
            return template.format(**values)
        except (KeyError, IndexError):
            return ", ".join(f"{k} = {v}" for k, v in values.items())

    def text(self, lang: str | None = None) -> str:
        """The finding as the doctor prints it: title, evidence, why, what to do."""
        lang = resolve_lang(lang)
        words = SEVERITY_WORDS[lang]
        head = f"[{words[self.severity]}] {self.title(lang)}"
        if self.layer:
            head += f" — {words['layer']} {self.layer}"
        if self.epoch is not None:
            head += f" ({words['epoch']} {self.epoch + 1})"
        return "\n".join([
            head,
            f"  {words['evidence']}: {self.describe_evidence(lang)}",
            f"  {words['why']}: {self.explanation(lang)}",
            f"  {words['fix']}: {self.suggestion(lang)}",
        ])  # fmt: skip

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "epoch": self.epoch,
                "layer": self.layer, "caused_by": self.caused_by,
                "evidence": _plain(self.evidence)}  # fmt: skip

    @classmethod
    def from_dict(cls, record: dict) -> Finding:
        """The finding :meth:`to_dict` wrote (unknown codes and severities are refused)."""
        if not isinstance(record, dict) or "code" not in record or "severity" not in record:
            raise ValueError(f"Finding.from_dict: expected a dict with 'code' and 'severity'; "
                             f"received {record!r:.200}")  # fmt: skip
        return cls(record["code"], record["severity"], dict(record.get("evidence") or {}),
                   record.get("epoch"), record.get("layer"), record.get("caused_by"))


class Report:
    """The doctor's findings, the most urgent first, each root cause before its symptoms.

    ``report.codes`` lists the codes; ``report.root_causes`` only those no other
    finding explains; ``str(report)`` / :meth:`text` is the full text in the
    default language; iterating gives the :class:`Finding` objects.
    """

    def __init__(self, findings=(), lang: str | None = None):
        self.lang = resolve_lang(lang)
        rank = {code: i for i, code in enumerate(CODES)}
        self.findings = sorted(findings, key=lambda f: (f.caused_by is not None,
                                                        SEVERITIES.index(f.severity),
                                                        rank[f.code]))  # fmt: skip

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __bool__(self) -> bool:
        return bool(self.findings)

    def __contains__(self, code) -> bool:
        return code in self.codes

    @property
    def codes(self) -> list[str]:
        """Every finding's code, each once, in report order."""
        return list(dict.fromkeys(f.code for f in self.findings))

    @property
    def root_causes(self) -> list[str]:
        """The codes of the findings that no other finding explains."""
        return list(dict.fromkeys(f.code for f in self.findings if f.caused_by is None))

    def get(self, code: str) -> list[Finding]:
        """The findings with this code."""
        return [f for f in self.findings if f.code == code]

    def text(self, lang: str | None = None) -> str:
        lang = resolve_lang(lang or self.lang)
        words = SEVERITY_WORDS[lang]
        if not self.findings:
            return words["healthy"]
        parts = [words["header"].format(n=len(self.findings))]
        for finding in self.findings:
            block = finding.text(lang)
            if finding.caused_by is not None:
                cause = MESSAGES[lang][finding.caused_by]["title"]
                block += f"\n  {words['caused_by']}: {cause}"
            parts.append(block)
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Report({self.codes})"

    def to_dict(self) -> list[dict]:
        return [f.to_dict() for f in self.findings]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    @classmethod
    def from_dict(cls, records, lang: str | None = None) -> Report:
        """The report :meth:`to_dict` wrote (a run folder's ``doctor.json``), in any language.

        >>> report = Report([Finding("unscaled_inputs", "warning", {"scale": 120.0})])
        >>> Report.from_dict(json.loads(report.to_json()), lang="en").codes
        ['unscaled_inputs']
        """
        if not isinstance(records, list):
            raise ValueError(f"Report.from_dict: expected a list of findings; "
                             f"received {type(records).__name__}")  # fmt: skip
        return cls([Finding.from_dict(r) for r in records], lang=lang)


def _fmt(value) -> str:
    if value is None:  # a measure the run did not record (e.g. no GradientMonitor)
        return "—"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0 or 1e-3 <= abs(value) < 1e4:
            return f"{value:.4g}"
        return f"{value:.2e}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if hasattr(value, "item"):
        return _plain(value.item())
    return value
