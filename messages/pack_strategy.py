"""The rules of a pack's `strategy_rules` section: what "on strategy" means, checked like the rest of a pack.

Each rule names one kind (a part of the ideal customer profile, or the offerings the strategy pushes), its
values (or, for minimum-amount, a minimum), and the short reason people see beside a deal that misses it.
One rule per kind across every pack loaded together: two industry rules would leave "which list wins?" open,
so both lists belong in one rule.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from messages.pack_model import RULE_REASON_MAX, RULE_VALUE_MAX
from storage.deals import RuleKind

if TYPE_CHECKING:
    from messages.pack_validate import PackFile
    from messages.pack_yaml import PathKey

SECTION = "strategy_rules"
KINDS = tuple(kind.value for kind in RuleKind)


def check_rule(pack_file: PackFile, path: PathKey, raw: Mapping[str, Any]) -> None:
    """Content checks for one rule (the shape is pydantic's); every problem is reported, none stops the rest."""
    pack_file._slug((*path, "id"), raw.get("id"))
    pack_file._text((*path, "reason"), raw.get("reason"), RULE_REASON_MAX, "a rule's reason")
    kind = raw.get("kind")
    if not isinstance(kind, str):
        return
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        pack_file.report((*path, "kind"), f"'{kind}' is not a kind of rule{hint}; one of {', '.join(KINDS)}")
        return
    values, minimum = raw.get("values"), raw.get("minimum")
    if kind == RuleKind.MINIMUM_AMOUNT:
        if "values" in raw:
            pack_file.report((*path, "values"), "a minimum-amount rule has a minimum, not values", key=True)
        if "minimum" not in raw:
            pack_file.report(path, "missing required field 'minimum' (the smallest deal on strategy, in whole "
                                   "units of DRUMBEAT_PIPELINE_CURRENCY)")
        elif isinstance(minimum, int) and not isinstance(minimum, bool) and minimum < 1:
            pack_file.report((*path, "minimum"), f"is {minimum}; a minimum deal size is at least 1")
        return
    if "minimum" in raw:
        pack_file.report((*path, "minimum"), f"only a minimum-amount rule has a minimum; a {kind} rule lists values",
                         key=True)
    if "values" not in raw:
        pack_file.report(path, f"missing required field 'values' (the {kind} values that are on strategy)")
    elif isinstance(values, tuple):
        if not values:
            pack_file.report((*path, "values"), f"list at least one {kind} that is on strategy")
        for index, value in enumerate(values):
            pack_file._text((*path, "values", index), value, RULE_VALUE_MAX, "a value")
        pack_file._no_repeats((*path, "values"), values)


def check_one_rule_per_kind(files: Sequence[PackFile]) -> None:
    """A second rule of the same kind, in this pack or another loaded with it, is a problem at the second."""
    first: dict[str, str] = {}
    for pack_file in files:
        top = pack_file.document.value if pack_file.document else None
        rules = top.get(SECTION) if isinstance(top, Mapping) else None
        if not isinstance(rules, tuple):
            continue
        for index, raw in enumerate(rules):
            kind = raw.get("kind") if isinstance(raw, Mapping) else None
            if not isinstance(kind, str) or kind not in KINDS:
                continue
            path: PathKey = (SECTION, index, "kind")
            where = f"{pack_file.file.name}:{pack_file.line_of(path)}"
            if kind in first:
                pack_file.report(path, f"a second {kind} rule (the first is at {first[kind]}); put every {kind} "
                                       "on strategy in one rule's values")
            else:
                first[kind] = where
