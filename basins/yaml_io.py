"""Basin YAML on ruamel.yaml: a strict safe reader and a round-trip writer that keeps comments.

Reading (:func:`parse`)
    ``YAML(typ="safe", pure=True)`` — YAML 1.2, plain Python objects only (a tag such as
    ``!!python/object`` is refused, never constructed) — with a composer and a constructor that refuse, each
    as a located :class:`Refused` (entry = line and the id of the entry being read, field = the key):
    duplicate keys (naming the key and the line of its first occurrence), anchors and aliases (no YAML
    bombs), nesting deeper than :data:`MAX_DEPTH`, a ``%YAML`` directive other than 1.2, and the plain
    scalars that YAML 1.1 and YAML 1.2 read as different numbers (``1:30`` is 90 in 1.1 and a text in 1.2;
    ``040`` is 32 in 1.1 and 40 in 1.2): a file written for another YAML reader must not change meaning
    silently.

Writing (:func:`dump`, :func:`update`)
    :func:`dump` writes a new file (block style, multi-line text such as inline CSV series as literal ``|``
    blocks). :func:`update` writes new values into an existing file with ``YAML(typ="rt")``: only the values
    that changed are replaced, entries are matched by their ``id``/``node``, so comments, key order, flow
    style and the quoting of untouched values survive (an unchanged file is written back byte for byte).
"""

from __future__ import annotations

import io
import re
from functools import cached_property
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.parser import Parser
from ruamel.yaml.scanner import Scanner
from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString

MAX_DEPTH = 32  # nesting levels of a basin file (it needs 7); deeper is refused before Python's recursion limit
WIDTH = 4096  # never re-wrap a line (the hand-written files keep each entry on one line)

#: YAML 1.1 numbers that YAML 1.2 reads differently: base 60 (``1:30``) and octal with a leading zero (``017``)
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_YAML11_WORDS = {"y", "n", "yes", "no", "on", "off"}  # booleans in YAML 1.1, texts in YAML 1.2


class Refused(YAMLError):
    """A construct a basin file may not use: where it is (entry, field) and the message key with parameters
    (:mod:`basins.messages_text`)."""

    def __init__(self, entry: str, field: str, key: str, /, **params: object):
        super().__init__(key)
        self.entry, self.field, self.key, self.params = entry, field, key, params


def _line(mark: Any) -> str:
    return f"line {mark.line + 1}"


def _entry_of(mapping: Any, mark: Any) -> str:
    """'line L' plus the id (or node) of the YAML mapping being read, if it has one yet."""
    where = _line(mark)
    if isinstance(mapping, MappingNode):
        for k, v in mapping.value:
            if isinstance(k, ScalarNode) and k.value in ("id", "node") and isinstance(v, ScalarNode):
                return f"{where} ({v.value!r})"
    return where


class _Scanner(Scanner):
    reader = cached_property(lambda self: self.loader.reader)


class _Parser(Parser):
    """ruamel's pure-Python parser, with its links to the scanner and resolver looked up once per document
    instead of per token (they are properties that go through the ``YAML`` object; this halves the time to
    read a large file)."""

    scanner = cached_property(Parser.scanner.fget)  # type: ignore[attr-defined]
    resolver = cached_property(Parser.resolver.fget)  # type: ignore[attr-defined]


class _StrictComposer(Composer):
    """Refuses anchors, aliases and deep nesting before anything is built."""

    parser = cached_property(lambda self: self.loader.parser)
    resolver = cached_property(lambda self: self.loader.resolver)

    _strict_depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if self._strict_depth >= MAX_DEPTH:
            raise Refused(_entry_of(parent, event.start_mark), "", "yaml.too_deep", depth=MAX_DEPTH)
        field = index.value if isinstance(index, ScalarNode) else ""
        if isinstance(event, AliasEvent):
            raise Refused(_entry_of(parent, event.start_mark), field, "yaml.alias", name=f"*{event.anchor}")
        if getattr(event, "anchor", None) is not None:
            raise Refused(_entry_of(parent, event.start_mark), field, "yaml.anchor", name=f"&{event.anchor}")
        self._strict_depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._strict_depth -= 1


class _StrictConstructor(SafeConstructor):
    """The safe constructor with duplicate keys, unknown tags and YAML 1.1 numbers as located refusals."""

    composer = cached_property(lambda self: self.loader.composer)
    resolver = cached_property(lambda self: self.loader.resolver)

    def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
        if key in mapping:
            first = next((k for k, _ in node.value if isinstance(k, ScalarNode) and k is not key_node
                          and k.value == key_node.value), None)
            raise Refused(_entry_of(node, key_node.start_mark), str(key), "yaml.duplicate_key", key=str(key),
                          first=first.start_mark.line + 1 if first is not None else "?")
        return True

    def construct_undefined(self, node: Any) -> None:
        raise Refused(_line(node.start_mark), "", "yaml.tag", tag=str(node.tag))

    def construct_scalar(self, node: Any) -> Any:
        if isinstance(node, ScalarNode) and node.style is None and isinstance(node.value, str):
            _check_yaml11(node)
        return super().construct_scalar(node)


def _check_yaml11(node: ScalarNode) -> None:
    v = node.value.replace("_", "")
    if _BASE60.fullmatch(v):
        sign = -1 if v.startswith("-") else 1
        total = 0.0
        for part in v.lstrip("+-").split(":"):
            total = total * 60 + float(part)
        value = sign * (total if "." in v else int(total))
        raise Refused(_line(node.start_mark), "", "yaml.base60", text=node.value, value=value)
    if _OCTAL.fullmatch(v) and v.lstrip("+-") != "0":
        value = (-1 if v.startswith("-") else 1) * int(v.lstrip("+-"), 8)
        raise Refused(_line(node.start_mark), "", "yaml.octal", text=node.value, value=value,
                      decimal=int(v.lstrip("+-")) * (-1 if v.startswith("-") else 1))


_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.M)


def reader() -> YAML:
    """The basin file reader: ruamel's safe loader (pure Python), strict as described above."""
    y = YAML(typ="safe", pure=True)
    y.Scanner, y.Parser = _Scanner, _Parser
    y.Composer = _StrictComposer
    y.Constructor = _StrictConstructor
    y.allow_duplicate_keys = False
    return y


def parse(text: str) -> Any:
    """The YAML document of ``text`` as plain Python objects. Raises :class:`Refused` for what a basin file may
    not contain, and ruamel's ``YAMLError`` (``MarkedYAMLError`` with a mark, ``ReaderError``) for syntax."""
    m = _DIRECTIVE.search(text)
    if m and m.group(1) != "1.2":
        raise Refused(f"line {text.count(chr(10), 0, m.start()) + 1}", "", "yaml.version", version=m.group(1))
    return reader().load(text)


# ---- writing ------------------------------------------------------------------------------------------------

def _risky(s: str) -> bool:
    """A text the strict reader would refuse, or another YAML reader would take for a number or boolean."""
    v = s.replace("_", "")
    return bool(_BASE60.fullmatch(v) or _OCTAL.fullmatch(v)) or s.lower() in _YAML11_WORDS


def _writer(indented_lists: bool = True) -> YAML:
    """The round-trip writer: list items indented under their key (``  - {id: ...}``, as in the bundled files)
    or, for new files, flush with it (``- id: ...``, the block layout of most YAML writers)."""
    y = YAML(typ="rt", pure=True)
    y.preserve_quotes = True
    y.width = WIDTH
    y.indent(mapping=2, sequence=4 if indented_lists else 2, offset=2 if indented_lists else 0)
    y.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def _prepared(value: Any) -> Any:
    """Plain data ready for the writer: multi-line texts as literal blocks, risky texts quoted."""
    if isinstance(value, dict):
        return {k: _prepared(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_prepared(v) for v in value]
    if isinstance(value, str) and not isinstance(value, (LiteralScalarString, SingleQuotedScalarString)):
        if "\n" in value:
            return LiteralScalarString(value)
        if _risky(value):
            return SingleQuotedScalarString(value)
    return value


def _text(doc: Any, indented_lists: bool = True) -> str:
    buf = io.StringIO()
    _writer(indented_lists).dump(doc, buf)
    return buf.getvalue()


def dump(data: dict) -> str:
    """``data`` (plain dicts, lists, texts, numbers) as a new YAML 1.2 document in block style."""
    return _text(_prepared(data), indented_lists=False)


def _same(old: Any, new: Any) -> bool:
    """Equal values of the same kind (``275`` and ``275.0`` are the same number; ``1`` and ``true`` are not)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return float(old) == float(new)
    if isinstance(old, str) and isinstance(new, str):
        return str(old) == new
    return old is None and new is None


def _ident(entry: Any) -> Any:
    return next((entry[k] for k in ("id", "node") if k in entry), None) if isinstance(entry, dict) else None


def _merged(old: Any, new: Any) -> Any:
    """``new`` written over the round-trip node ``old``: what is equal stays as it is (with its comments)."""
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for k in [k for k in old if k not in new]:
            del old[k]
        keys = list(new)
        for i, k in enumerate(keys):
            if k in old:
                old[k] = _merged(old[k], new[k])
            else:  # a new key goes after the one before it in ``new`` (the schema's order)
                before = next((keys[j] for j in range(i - 1, -1, -1) if keys[j] in old), None)
                pos = list(old).index(before) + 1 if before is not None else 0
                old.insert(pos, k, _fresh(new[k], flow=old.fa.flow_style()))
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        flow_items = any(isinstance(e, CommentedMap) and e.fa.flow_style() for e in old)
        by_id = {_ident(e): e for e in old if _ident(e) is not None}
        items = []
        for i, n in enumerate(new):
            match = by_id.get(_ident(n)) if _ident(n) is not None else (old[i] if i < len(old) else None)
            items.append(_merged(match, n) if match is not None else _fresh(n, flow=flow_items))
        if len(items) == len(old) and all(a is b for a, b in zip(items, old)):
            return old  # the same entries in the same order: comments stay attached where they were
        for i in range(len(old) - 1, -1, -1):
            del old[i]
        old.extend(items)
        return old
    if _same(old, new):
        return old
    return _fresh(new, flow=False)


def _fresh(value: Any, flow: bool) -> Any:
    """A new node for ``value``; a mapping among one-line flow entries is written on one line too."""
    value = _prepared(value)
    if isinstance(value, dict):
        m = CommentedMap(value)
        if flow and not any(isinstance(v, (dict, list)) and len(v) > 0 for v in value.values()):
            m.fa.set_flow_style()
        return m
    return value


def update(text: str, data: dict) -> str:
    """``text`` (a basin file) with the values of ``data`` written into it; comments, order and layout of
    everything that did not change are kept."""
    y = _writer()
    doc = y.load(text)
    if not isinstance(doc, CommentedMap):
        return dump(data)
    return _text(_merged(doc, data))
