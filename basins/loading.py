"""Load, validate and save basin files.

``load`` reads the YAML with ruamel.yaml's safe loader, YAML 1.2 (:mod:`basins.yaml_io`: duplicate keys,
anchors/aliases and YAML 1.1 numbers are errors), validates it against :mod:`basins.schema`, checks the
network (:mod:`basins.network`) and the series (:mod:`basins.series`), and raises one
:class:`~basins.errors.BasinError` listing every problem found (messages in English and Russian,
:mod:`basins.messages`). ``save`` writes a basin loaded from a file back into that file's text by ruamel's
round trip (:func:`update_text`), so comments and layout survive.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import xarray as xr
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml.error import YAMLError
from ruamel.yaml.reader import ReaderError

from . import network, series, yaml_io
from .basin import Basin
from .errors import BasinError, Invalid, Problem
from .messages import Msg
from .messages_text import MESSAGES
from .schema import BasinSpec, SeriesFiles

PACKAGE_DIR = Path(str(files("basins"))).resolve()  # the bundled basin files (basins/*.yaml)


def _bundled_data_dir() -> Path:
    """The series of the bundled basins: ``data/`` at the root of a checkout; a wheel ships that folder as
    the ``basins.data`` package (pyproject.toml maps it), i.e. ``basins/data/`` of the installed package."""
    shipped = files("basins") / "data"
    return Path(str(shipped)).resolve() if shipped.is_dir() else PACKAGE_DIR.parent / "data"


DATA_DIR = _bundled_data_dir()
BUNDLED_DATA_PREFIX = "../data/"  # how the bundled basin files name their series (relative to basins/)
MAX_FILE_BYTES = 20 * 1024 * 1024  # a basin file with inline series is ~100 kB; refuse anything absurd
MAX_DEPTH = yaml_io.MAX_DEPTH


def available() -> list[str]:
    """Ids of the basins bundled with the package (``chu``, ``talas``)."""
    return sorted(p.stem for p in PACKAGE_DIR.glob("*.yaml"))


def resolve(name_or_path: str | Path) -> Path:
    """The basin file for a bundled basin id or a path."""
    p = Path(name_or_path)
    if p.is_file() or p.suffix in (".yaml", ".yml"):
        return p
    if str(name_or_path) in available():  # a bundled id wins over a same-named folder (e.g. data/chu)
        return PACKAGE_DIR / f"{name_or_path}.yaml"
    if p.exists():
        raise BasinError([Problem.of(str(p), "file", "", "load.not_basin_file_give", available=available())])
    raise BasinError([Problem.of(str(name_or_path), "basin", "", "load.neither_bundled_basin_nor", available=available())])


def _located(exc: ValidationError, raw: dict, file: str) -> list[Problem]:
    """pydantic errors → problems naming the entry (by its id where it has one) and the field."""
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        entry_parts: list[str] = []
        obj, i = raw, 0
        while i < len(loc) and isinstance(obj, (dict, list)):
            key = loc[i]
            try:
                obj = obj[key]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(key, int) and isinstance(obj, dict):
                ident = obj.get("id", obj.get("node"))
                entry_parts[-1] = f"{entry_parts[-1]}[{key}]" + (f" ({ident!r})" if ident is not None else "")
            else:
                entry_parts.append(str(key))
            i += 1
        # entry = containers walked through; field = the last key
        field = str(loc[-1]) if loc else ""
        entry = ".".join(entry_parts[:-1]) if entry_parts and entry_parts[-1] == field else ".".join(entry_parts)
        if err["type"] == "extra_forbidden":
            out.append(Problem.of(file, entry or "file", field, "schema.unknown_key", name=field))
        elif err["type"] == "missing":
            out.append(Problem.of(file, entry or "file", field, "schema.missing"))
        else:
            got = repr(err.get("input"))
            ctx = dict(err.get("ctx") or {})
            error = ctx.pop("error", None)
            params: dict[str, object] = {str(k): v for k, v in ctx.items()}
            if isinstance(error, Invalid):  # a check of basins/schema.py: its own message, in every language
                params["reason"] = Msg(error.key, error.params)
            key = f"pydantic.{err['type']}" if f"pydantic.{err['type']}" in MESSAGES else "pydantic.other"
            if err["type"] == "value_error" and "reason" not in params:
                key = "pydantic.other"
            out.append(Problem.of(file, entry or "file", field, key, pydantic=err["msg"],
                                  got=got if len(got) <= 80 else got[:60] + " ... " + got[-10:], **params))
    return out


def parse_yaml(text: str, file: str) -> dict:
    """Parse basin YAML text safely (:func:`basins.yaml_io.parse`: YAML 1.2, duplicate keys, aliases and
    YAML 1.1 numbers refused); raises a located BasinError on every refusal and syntax error."""
    try:
        raw = yaml_io.parse(text)
    except yaml_io.Refused as exc:
        raise BasinError([Problem.of(file, exc.entry, exc.field, exc.key, **exc.params)]) from None
    except ReaderError as exc:  # a character YAML does not allow (NUL, other control characters)
        pos = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise BasinError([Problem.of(file, f"line {line}, column {column}", "", "yaml.bad_char",
                                     char=repr(char))]) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        problem = getattr(exc, "problem", None) or str(exc)
        raise BasinError([Problem.of(file, where, "", "yaml.syntax", problem=problem)]) from None
    if not isinstance(raw, dict):
        raise BasinError([Problem.of(file, "file", "", "yaml.not_mapping")])
    return raw


def loads(text: str, file: str = "<upload>", base_dir: Path | None = None) -> Basin:
    """Validate a basin given as YAML text. Series files are resolved against ``base_dir``; with no
    ``base_dir`` (an upload), only inline series are accepted."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise BasinError([Problem.of(file, "file", "", "load.larger_than_mb_basin", value=MAX_FILE_BYTES // 2 ** 20)])
    raw = parse_yaml(text, file)
    try:
        spec = BasinSpec.model_validate(raw)
    except ValidationError as exc:
        # report the series' problems too, as far as the declarations they refer to are valid
        problems = _located(exc, raw, file)
        view = _series_view(raw)
        if view is not None:
            _check_series(view, file, base_dir, problems)
        raise BasinError(problems) from None

    problems = network.check(spec, file)
    arrays = _check_series(spec, file, base_dir, problems)
    if problems:
        raise BasinError(problems)
    return Basin(spec, arrays["inflow"], arrays["demand"], arrays["evaporation"],
                 (base_dir / Path(file).name) if base_dir else None)


def _series_view(raw: dict) -> SimpleNamespace | None:
    """What the series checks need, read from a file that did not validate as a whole: the ids of the
    inflow nodes, demands and reservoirs, the year types and where the series are. None when even those
    cannot be read (their problems are reported already)."""
    fields = BasinSpec.model_fields

    def ids(section: str, key: str, kind: str | None = None) -> list[str]:
        entries = raw.get(section) or []
        return [e[key] for e in entries if isinstance(e, dict) and isinstance(e.get(key), str)
                and (kind is None or e.get("kind") == kind)] if isinstance(entries, list) else []
    def adapter(name: str) -> TypeAdapter:
        annotation: Any = fields[name].annotation  # a field's type, read at run time from the model
        return TypeAdapter(annotation)

    try:
        where = {name: adapter(name).validate_python(raw.get(name)) if name in raw else None
                 for name in ("series_files", "series_inline")}
        year_types = adapter("year_types").validate_python(
            raw.get("year_types", fields["year_types"].get_default(call_default_factory=True)))
    except ValidationError:
        return None
    return SimpleNamespace(**where, year_types=year_types, nodes_by_kind={
        "inflow": ids("nodes", "id", "inflow"), "demand": ids("demands", "node"),
        "evaporation": ids("reservoirs", "node")})


def _nodes_by_kind(spec: BasinSpec) -> dict[str, list[str]]:
    """The nodes each series covers: inflow nodes, demands, reservoirs."""
    return {"inflow": [n.id for n in spec.nodes if n.kind == "inflow"], "demand": [d.node for d in spec.demands],
            "evaporation": [r.node for r in spec.reservoirs]}


def _check_series(spec, file: str, base_dir: Path | None, problems: list[Problem]) -> dict[str, xr.DataArray]:
    """Read and check the three series (appending located problems); the DataArrays that passed."""
    arrays: dict[str, xr.DataArray] = {}
    texts = _series_texts(spec, file, base_dir, problems)
    if not texts:
        return arrays
    nodes_by_kind = spec.nodes_by_kind if isinstance(spec, SimpleNamespace) else _nodes_by_kind(spec)
    for kind, (label, text_) in texts.items():
        df = series.read_table(text_, kind, label, problems)
        if df is not None:
            da = series.to_dataarray(df, kind, nodes_by_kind[kind], spec.year_types if kind == "inflow" else None,
                                     label, problems)
            if da is not None:
                arrays[kind] = da
    return arrays


def _series_texts(spec, file: str, base_dir: Path | None, problems: list[Problem]):
    if (spec.series_files is None) == (spec.series_inline is None):
        problems.append(Problem.of(file, "series", "series_files", "load.give_exactly_one_series"))
        return None
    if spec.series_inline is not None:
        return {k: (f"{file} [series_inline.{k}]", getattr(spec.series_inline, k)) for k in ("inflow", "demand",
                                                                                           "evaporation")}
    out = {}
    for kind in ("inflow", "demand", "evaporation"):
        rel = getattr(spec.series_files, kind)
        if base_dir is None:
            problems.append(Problem.of(file, "series_files", kind, "load.uploaded_file_must_carry"))
            continue
        p = (base_dir / rel).resolve()
        if base_dir.resolve() == PACKAGE_DIR and rel.startswith(BUNDLED_DATA_PREFIX):  # a bundled basin
            p = (DATA_DIR / rel[len(BUNDLED_DATA_PREFIX):]).resolve()
        if Path(rel).is_absolute() or not p.is_relative_to(base_dir.resolve().parent):
            problems.append(Problem.of(file, "series_files", kind, "load.must_relative_path_inside", rel=rel))
            continue
        if not p.is_file():
            problems.append(Problem.of(file, "series_files", kind, "load.file_not_found_looked", rel=rel, value=p))
            continue
        if p.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem.of(str(p), "file", "", "load.too_large_for_monthly"))
            continue
        out[kind] = (str(p), p.read_text(encoding="utf-8"))
    return out if len(out) == 3 else None


def load(name_or_path: str | Path) -> Basin:
    """Load and validate a bundled basin (``"chu"``, ``"talas"``) or a basin file path."""
    path = resolve(name_or_path)
    if not path.is_file():
        raise BasinError([Problem.of(str(path), "file", "", "load.not_found")])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BasinError([Problem.of(str(path), "file", "", "load.larger_than_mb", value=MAX_FILE_BYTES // 2 ** 20)])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BasinError([Problem.of(str(path), "file", "", "load.not_utf_text_at", reason=exc.reason, start=exc.start)]) from None
    basin = loads(text, str(path), base_dir=path.resolve().parent)
    basin.path = path
    return basin


NEW_FILE_MODE = 0o644


def _target_mode(path: Path) -> int:
    """The permissions a written file gets: those of the file it replaces, 0644 for a new one
    (``mkstemp`` creates 0600, which would hide a replaced basin file from its other readers)."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return NEW_FILE_MODE


def _require_directory(path: Path) -> None:
    """A missing output directory is an error (a mistyped ``--out`` must not create folders)."""
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"the directory {str(path.parent)!r} does not exist; create it "
                                              "first or give another path", str(path))


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to: renamed over ``path`` when the block ends normally,
    removed on any error or interruption, so a reader never sees a half-written file. The file keeps the
    mode of the file it replaces (0644 when new); its directory must exist (FileNotFoundError)."""
    path = Path(path)
    _require_directory(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _target_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_write_all(texts: dict[Path, str]) -> None:
    """Write several files all or nothing: each text goes to a temporary file beside its target first, and
    only when every one is written are they renamed over their targets. An interruption while writing leaves
    every target as it was and no temporary file behind. Each file keeps the mode of the file it replaces
    (0644 when new). Missing folders are created (``Basin.save`` writes a folder tree; a result file's
    missing directory, by contrast, is an error: :func:`atomic_output`)."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.chmod(tmp, _target_mode(path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_write(path: Path, text: str) -> None:
    _atomic_write_all({path: text})


def _series_texts_of(basin: Basin) -> dict[str, str]:
    return {k: series.from_dataarray(getattr(basin, k), k) for k in ("inflow", "demand", "evaporation")}


def _spec_data(basin: Basin, inline: bool, series_files: SeriesFiles | None, only_set: bool = False) -> dict:
    """The basin's declarations as plain data, its series inline (CSV text) or as ``series_files``. With
    ``only_set`` only the fields the file gave or a program set (the defaults a hand-written file leaves out
    stay out of it)."""
    data = basin.spec.model_dump(mode="json", exclude_none=not only_set, exclude_unset=only_set,
                                 exclude={"series_files", "series_inline"})
    if inline:
        data["series_inline"] = _series_texts_of(basin)
    elif series_files is not None:
        data["series_files"] = series_files.model_dump(mode="json")
    order = list(type(basin.spec).model_fields)  # series_* in their place among the top-level keys
    return {k: data[k] for k in sorted(data, key=lambda k: order.index(k) if k in order else len(order))}


def dumps(basin: Basin, inline: bool = True, series_files: SeriesFiles | None = None) -> str:
    """The basin as a new YAML file; with ``inline`` the series are embedded as CSV text (literal blocks)."""
    header = f"# Basin file for {basin.name}; schema: basins/schema.py. Volumes in hm3, flows in the unit named.\n"
    return header + yaml_io.dump(_spec_data(basin, inline, series_files))


def _declarations(spec: BasinSpec) -> dict:
    return spec.model_dump(mode="json", exclude={"series_files", "series_inline"})


def update_text(text: str, basin: Basin, file: str, inline: bool = False,
                series_files: SeriesFiles | None = None) -> str:
    """``text`` (the basin file ``basin`` was read from) with the basin's declarations written into it by
    ruamel's round trip (:func:`basins.yaml_io.update`): comments, key order and layout survive, only changed
    values are rewritten. The result is read back and checked; ValueError if it does not give ``basin``'s
    declarations (nothing is written then; a BasinError, which is a ValueError)."""
    new = yaml_io.update(text, _spec_data(basin, inline, series_files or basin.spec.series_files, only_set=True))
    back = BasinSpec.model_validate(parse_yaml(new, file))
    if _declarations(back) != _declarations(basin.spec):
        raise BasinError([Problem.of(file, "file", "", "load.rewrite_mismatch")])
    return new


def _template(basin: Basin) -> str | None:
    """The text of the file ``basin`` was loaded from, if it is still there: its comments are kept."""
    try:
        return Path(basin.path).read_text(encoding="utf-8") if basin.path is not None else None
    except (OSError, UnicodeDecodeError):
        return None


def _yaml_text(basin: Basin, path: Path, inline: bool, series_files: SeriesFiles | None) -> str:
    template = _template(basin)
    if template is not None:
        try:
            return update_text(template, basin, str(path), inline=inline, series_files=series_files)
        except (BasinError, ValueError):
            pass  # the old file no longer reads as a basin (edited meanwhile): write a new one
    return dumps(basin, inline=inline, series_files=series_files)


def save(basin: Basin, path: str | Path, inline: bool = False) -> Path:
    """Write ``basin`` to ``path`` (atomically); see :meth:`Basin.save`. A basin loaded from a file is
    written into that file's text by ruamel's round trip, so its comments and layout are kept."""
    path = Path(path)
    if inline:
        _atomic_write(path, _yaml_text(basin, path, True, None))
        return path
    same_file = basin.path is not None and Path(basin.path).resolve() == path.resolve()
    files = (basin.spec.series_files if same_file else None) or SeriesFiles(inflow=f"{path.stem}_data/inflow.csv",
                                                   demand=f"{path.stem}_data/demand.csv",
                                                   evaporation=f"{path.stem}_data/evaporation.csv")
    # the series files and the basin file are replaced together (the YAML last), so an interrupted save does
    # not leave new series beside an old basin file
    texts = {path.parent / getattr(files, kind): text for kind, text in _series_texts_of(basin).items()}
    if not same_file:
        basin = _with_tables_beside(basin, path, texts)
    texts[path] = _yaml_text(basin, path, False, files)
    _atomic_write_all(texts)
    return path


def _with_tables_beside(basin: Basin, path: Path, texts: dict[Path, str]) -> Basin:
    """The reservoirs' level-volume tables (``level_volume``, a path relative to the basin file) copied into
    ``<stem>_data/`` beside the new basin file (their texts added to ``texts``), and the basin with its paths
    pointing there: a saved basin carries its tables, as it carries its series."""
    from .level_volume import LevelVolumeError, _resolve

    moved = {}
    for r in basin.spec.reservoirs:
        if not r.level_volume:
            continue
        try:
            src = _resolve(basin, r.level_volume)
        except LevelVolumeError:
            continue  # (an uploaded basin: its table was never readable; the path is written as it stands)
        if not src.is_file():
            raise BasinError([Problem.of(str(basin.path), f"reservoir {r.node}", "level_volume",
                                         "save.level_volume_missing", path=str(src))])
        rel = f"{path.stem}_data/{src.name}"
        texts[path.parent / rel] = src.read_text(encoding="utf-8")
        moved[r.node] = rel
    if not moved:
        return basin
    spec = basin.spec.model_copy(update={"reservoirs": [
        r.model_copy(update={"level_volume": moved[r.node]}) if r.node in moved else r for r in basin.spec.reservoirs]})
    return Basin(spec, basin.inflow, basin.demand, basin.evaporation, basin.path)
