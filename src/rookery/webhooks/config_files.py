"""Reading webhook configuration files: paths, YAML, and environment expansion (SPEC §4).

Invariants:

- A path is a file (any extension) or a directory; in a directory only the regular files named
  ``*.yml``, ``*.yaml``, ``*.json`` or ``*.cfg`` are read, in alphabetical order of their names,
  and sub-directories are not entered.
- YAML is read with ``safe_load`` only; one document per file. An empty file reads as ``None``.
- After parsing, ``$VAR`` and ``${VAR}`` in mapping keys and string values are replaced from the
  environment; unknown variables stay literal, and text inside ``{{...}}`` templates is never
  touched. Expansion happens on parsed values, so a variable's value can never change the YAML
  structure. Structures shared through YAML aliases are expanded once and stay shared.
- Every failure to read a path becomes :class:`InvalidWebhookConfigError` naming the file (and
  the line, when the YAML parser knows it); no other exception escapes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from rookery.errors import InvalidWebhookConfigError

CONFIG_SUFFIXES: frozenset[str] = frozenset({".yml", ".yaml", ".json", ".cfg"})

# Template regions first, so that "{{...}}" is matched (and kept) as a whole.
_ENV_OR_TEMPLATE = re.compile(
    r"(?P<template>\{\{.*?\}\})"
    r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)",
    re.DOTALL,
)


def config_files(path: str | Path) -> list[Path]:
    """Return the files a configuration path stands for, in reading order."""
    target = Path(path)
    try:
        return _list_config_files(target)
    except (OSError, ValueError) as error:
        raise _file_error(target, f"cannot be read ({error})") from error


def _list_config_files(target: Path) -> list[Path]:
    """List ``target`` itself or its configuration files; raise for a missing path."""
    if target.is_dir():
        return sorted(
            (child for child in target.iterdir() if _is_config_file(child)),
            key=lambda child: child.name,
        )
    if target.is_file():
        return [target]
    raise InvalidWebhookConfigError(
        f"{target}: no such file or directory", param="path", value=str(target)
    )


def _is_config_file(child: Path) -> bool:
    """Return whether a directory entry is a configuration file to read."""
    return child.suffix.lower() in CONFIG_SUFFIXES and child.is_file()


def read_config_documents(
    path: str | Path, environ: Mapping[str, str] | None = None
) -> list[tuple[Path, Any]]:
    """Return ``(file, document)`` for every configuration file under ``path``, in order.

    ``environ`` defaults to ``os.environ``; tests pass their own mapping.
    """
    env = os.environ if environ is None else environ
    return [(file, expand_env(read_yaml_file(file), env)) for file in config_files(path)]


def read_yaml_file(file: Path) -> Any:
    """Return the one YAML document of ``file``; raise ``InvalidWebhookConfigError``."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise _file_error(file, f"not UTF-8 text ({error.reason})") from error
    except OSError as error:
        raise _file_error(file, f"cannot be read ({error.strerror or error})") from error
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise _file_error(file, f"{where} invalid YAML: {problem}".strip()) from error
    except yaml.YAMLError as error:
        raise _file_error(file, f"invalid YAML: {error}") from error
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        # PyYAML lets a few constructor failures through unwrapped (e.g. a date 2020-13-45).
        raise _file_error(file, f"invalid YAML value: {error}") from error


def _file_error(file: Path, detail: str) -> InvalidWebhookConfigError:
    """Return the error for a file that cannot be read as configuration."""
    return InvalidWebhookConfigError(f"{file}: {detail}", param="path", value=str(file))


def expand_env(value: Any, environ: Mapping[str, str]) -> Any:
    """Return ``value`` with environment variables expanded in keys and strings."""
    return _expand(value, environ, {})


def _expand(value: Any, environ: Mapping[str, str], seen: dict[int, Any]) -> Any:
    """Expand one node; ``seen`` maps already-expanded containers to their copies."""
    if isinstance(value, str):
        return expand_env_text(value, environ)
    if not isinstance(value, dict | list):
        return value
    if id(value) in seen:
        return seen[id(value)]
    if isinstance(value, list):
        copy: list[Any] = []
        seen[id(value)] = copy
        copy.extend(_expand(item, environ, seen) for item in value)
        return copy
    mapping: dict[Any, Any] = {}
    seen[id(value)] = mapping
    for key, item in value.items():
        mapping[_expand(key, environ, seen)] = _expand(item, environ, seen)
    return mapping


def expand_env_text(text: str, environ: Mapping[str, str]) -> str:
    """Return ``text`` with ``$VAR``/``${VAR}`` replaced, templates and unknowns kept."""
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        if name is None or name not in environ:
            return match.group(0)
        return environ[name]

    return _ENV_OR_TEMPLATE.sub(replace, text)
