"""Located input problems: every message names the file, the entry, the field and the fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.entry}" + (f", field '{self.field}'" if self.field else "")
        return f"{where}: {self.message}"


class BasinError(ValueError):
    """Raised when a basin file or its series are invalid; ``problems`` lists all of them at once."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the basin input:"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))
