"""Located input problems: every message names the file, the entry, the field and the fix.

A problem is made from a message key of :mod:`basins.messages_text` and its parameters
(:meth:`Problem.of`); ``message`` is its English text, :meth:`Problem.text` the text in the current (or a
given) language: ``chutalas --lang ru check bad.yaml`` prints the Russian messages at the same locations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field as dataclass_field

from . import messages


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    english: str  # the message in English (a problem made from a text: that text, in whatever language it is)
    key: str = dataclass_field(default="", compare=False)  # the message's key in basins/messages_text.py
    params: Mapping[str, object] = dataclass_field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, file: str, entry: str, field: str, key: str, /, **params: object) -> Problem:
        """The problem ``key`` (basins/messages_text.py) with its parameters, located at file/entry/field."""
        return cls(file, entry, field, messages.render(key, params, "en"), key, params)

    @property
    def message(self) -> str:
        """The message (without its location) in the current language: what the app shows beside a cell."""
        return self.message_in()

    def message_in(self, lang: str | None = None) -> str:
        return messages.render(self.key, self.params, lang) if self.key else self.english

    def text(self, lang: str | None = None) -> str:
        """The problem in ``lang`` (default: the current language), location first."""
        return f"{messages.location(self.file, self.entry, self.field, lang)}: {self.message_in(lang)}"

    def __str__(self) -> str:
        return self.text()


class BasinError(ValueError):
    """Raised when a basin file or its series are invalid; ``problems`` lists all of them at once.
    ``str()`` is in the current language (English unless the interfaces set Russian); :meth:`text` in any."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        return "\n".join([messages.header(len(self.problems), lang)] + [f"  - {p.text(lang)}" for p in self.problems])

    def __str__(self) -> str:
        return self.text()


class Invalid(ValueError):
    """A value error of a schema validator (basins/schema.py) as a message key with parameters, so that
    the problem pydantic reports can be shown in every language; ``str()`` is the English text."""

    def __init__(self, key: str, /, **params: object):
        self.key, self.params = key, params
        super().__init__(messages.render(key, params, "en"))
