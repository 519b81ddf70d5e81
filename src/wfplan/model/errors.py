"""Errors raised by the projection model.

Both are ``ValueError`` subclasses so callers can catch them together; each
message names what was wrong and the rule it broke.
"""

from __future__ import annotations


class ModelInputError(ValueError):
    """An input array broke a rule.

    Parameters
    ----------
    array
        Name of the input array, e.g. ``"leaver_rate"``.
    coordinate
        Where the problem is, e.g. ``"staff_group=midwives"``; empty when it is
        the whole array.
    rule
        The rule that was broken, in words.
    """

    def __init__(self, array: str, coordinate: str, rule: str) -> None:
        self.array = array
        self.coordinate = coordinate
        self.rule = rule
        where = f" at {coordinate}" if coordinate else ""
        super().__init__(f"{array}{where}: {rule}")


class ScenarioError(ValueError):
    """A scenario is invalid, or does not fit the inputs it is run on.

    Parameters
    ----------
    problems
        One line per problem, each ``"field.path: rule"``.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        header = "scenario is not valid" + (f" ({count} problems)" if count > 1 else "")
        super().__init__(header + ":\n  " + "\n  ".join(self.problems))
