"""Command-line arguments that are not UTF-8, refused before any command runs.

Python hands over the bytes of an argument it cannot decode as lone surrogates (``\\udcff``),
which no store can encode, no terminal should be sent, and which used to end in a traceback
deep in a driver. Every argument is looked at once, here, and the first bad one is named the
way ``--help`` names it (``--subject``, ``REF``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from typer.core import TyperGroup

_SURROGATES = re.compile("[\ud800-\udfff]")


def _undecodable(text: str) -> bool:
    return bool(_SURROGATES.search(text))


def _option(command: Any, name: str) -> Any | None:
    for param in command.params:
        if param.param_type_name == "option" and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _long_name(param: Any) -> str:
    return max(param.opts, key=len)


def _argument_name(command: Any, position: int) -> str:
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if position < len(arguments):
        found = arguments[position]
        return found.metavar or found.name or "argument"
    return f"argument {position + 1}"


def undecodable_argument(root: Any, args: Sequence[str]) -> str | None:
    """How ``--help`` names the first of ``args`` that is not UTF-8 text; None if all are.

    Walks the tokens through the command tree as Click will parse them: options of the
    command reached so far (with their values), sub-command names, then positional arguments.
    """
    if not any(_undecodable(arg) for arg in args):
        return None
    command, position, only_positional = root, 0, False
    tokens = list(args)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token == "--" and not only_positional:
            only_positional = True
            continue
        if token.startswith("-") and len(token) > 1 and not only_positional:
            name, equals, _ = token.partition("=")
            param = _option(command, name)
            if equals:
                if _undecodable(token):
                    return _long_name(param) if param and not _undecodable(name) else "an option"
                continue
            if param is None:
                if _undecodable(token):
                    return "an option"
                continue
            if not getattr(param, "is_flag", False) and i < len(tokens):
                if _undecodable(tokens[i]):
                    return _long_name(param)
                i += 1
            continue
        if isinstance(command, TyperGroup):
            if _undecodable(token):
                return "COMMAND"
            found = command.commands.get(token)
            if found is None:
                return f"argument {i}"  # Click says the command does not exist
            command = found
            continue
        if _undecodable(token):
            return _argument_name(command, position)
        position += 1
    return "an argument"
