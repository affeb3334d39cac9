"""Habits from the shell and from jwst's commands, taken where they do not clash with
asnsql's own spellings: ``--db``, ``-v`` and ``-D`` before the command, asn_edit's
argument order, and one line for an option only jwst has, saying what asnsql does instead
(or for a global option the command has no use for).

asn_sql/cli/main.py applies the first two to the command line before typer parses it,
and the third to each command typer builds.
"""

from __future__ import annotations

from typing import Any

try:  # typer >= 0.20 carries its own copy of click
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer
    import click  # type: ignore[no-redef]

# Options every command that has them reads the same way, wherever they stand.
_GLOBAL_FLAGS = ("-v", "--verbose", "-D", "--debug")
_GLOBAL_WITH_VALUE = ("--db",)


def move_global_options(argv: list[str]) -> list[str]:
    """``asnsql --db X -v generate …`` as ``asnsql generate --db X -v …``: the options
    before the command move after it, with the same meaning (a command without such an
    option then says so, as it would after it)."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in _GLOBAL_WITH_VALUE and i + 1 < len(argv):
            i += 2
        elif token in _GLOBAL_FLAGS or token.startswith(tuple(f"{o}=" for o in _GLOBAL_WITH_VALUE)):
            i += 1
        else:
            break
    if i > 0 and i == len(argv):
        return []  # options and no command: the group says a command is missing
    if i > 0 and argv[i] in ("-h", "--help", "--version"):
        return argv[i:]  # the program's own help or version: nothing for them to mean
    if i == 0 or argv[i].startswith("-"):
        return argv
    return [argv[i], *argv[:i], *argv[i + 1 :]]


# asn_edit's -a/-r are flags saying what to do with the files after the association;
# asnsql's --add/--remove take the files themselves.
_EDIT_MODES = {"-a": "--add", "--add": "--add", "-r": "--remove", "--remove": "--remove"}
_EDIT_VALUED = ("-t", "--type", "-o", "--output")


def edit_in_asnsql_order(argv: list[str]) -> list[str]:
    """asn_edit's order, ``edit -a|-r [options] ASN FILE…``, as asnsql's ``edit ASN
    [options] --add|--remove FILE…``; applied only when asnsql's own reading would fail
    (no single ASN, or -a/-r with no file after it) and one of -a/-r is given."""
    if not argv or argv[0] != "edit" or "--" in argv:
        return argv
    modes: list[str] = []
    options: list[str] = []
    words: list[str] = []
    runs: list[int] = []  # asnsql's reading: how many words each -a/-r takes
    free = 0  # and how many are left for ASN
    i, rest = 0, argv[1:]
    while i < len(rest):
        token = rest[i]
        if token in _EDIT_MODES:
            modes.append(_EDIT_MODES[token])
            runs.append(0)
        elif token.startswith("-"):
            taken = 2 if token in _EDIT_VALUED and i + 1 < len(rest) else 1
            options += rest[i : i + taken]
            i += taken - 1
            runs.append(-1)  # a word after an option is no longer -a/-r's
        else:
            words.append(token)
            if runs and runs[-1] >= 0:
                runs[-1] += 1
            else:
                free += 1
        i += 1
    asnsql_reads_it = free == 1 and 0 not in runs
    if len(set(modes)) != 1 or not words or asnsql_reads_it:
        return argv
    if len(words) == 1:
        # the association and no file (``edit -r --ignore m2.json``): put the word after
        # -a/-r, so that no option is taken for a file and edit says no file was given
        return ["edit", *options, modes[0], words[0]]
    return ["edit", words[0], *options, modes[0], *words[1:]]


# Options of jwst's commands that asnsql does not take: what it does instead.
_LEAVE_OUT = "leave it out"
JWST_ONLY: dict[str, dict[str, str]] = {
    "generate": {
        "--DMS": "jwst's operations mode (its log format; with -i, the background "
        f"candidates of those ids run too); asnsql has no such mode: {_LEAVE_OUT}",
        "--pool-format": "asnsql reads pools as delimited text, as jwst's default ascii "
        "format; give the delimiter with -d/--delimiter",
        "--merge": "asnsql does not merge the Level 2 associations of one candidate "
        f"(jwst's --merge, off by default): {_LEAVE_OUT}",
        "--no-merge": "asnsql never merges Level 2 associations, jwst's default (its "
        f"--no-merge is deprecated): {_LEAVE_OUT}",
        "--per-pool-algorithm": "jwst's choice of generator, which gives the same "
        f"associations; asnsql has one: {_LEAVE_OUT}",
        "--version": "asnsql --version prints the version",
    },
    "from-list": {
        "-f": f"asnsql writes associations as JSON only, asn_from_list's default: {_LEAVE_OUT}",
        "--format": "asnsql writes associations as JSON only, asn_from_list's default: "
        f"{_LEAVE_OUT}",
        "-r": "asn_from_list's rule class; asnsql takes the association type from "
        "-t/--type (image3, spec2, ...)",
        "--rule": "asn_from_list's rule class; asnsql takes the association type from "
        "-t/--type (image3, spec2, ...)",
        "--ruledefs": "asn_from_list's rule files; asnsql takes the association type from "
        "-t/--type (image3, spec2, ...)",
    },
    "edit": {
        "-i": "asnsql spells asn_edit's -i as --ignore (-i is a candidate id in asnsql)",
    },
    "make-pool": {
        "-v": f"asnsql always prints make-pool's warnings, and nothing else: {_LEAVE_OUT}",
        "--verbose": f"asnsql always prints make-pool's warnings, and nothing else: {_LEAVE_OUT}",
    },
    "gather": {
        "-v": f"asnsql always prints what gather wrote: {_LEAVE_OUT}",
        "--verbose": f"asnsql always prints what gather wrote: {_LEAVE_OUT}",
        "-c": "asnsql copies in Python; --link or --symlink link the files instead",
        "--cmd": "asnsql copies in Python; --link or --symlink link the files instead",
    },
}


# Values of jwst's options that asnsql's option of the same name does not take: what it
# does instead (command -> option spellings -> value -> reason).
_YAML = (
    "jwst writes association files as YAML or JSON; asnsql writes them as JSON only "
    "(its --format json prints the run's summary as JSON)"
)
JWST_ONLY_VALUES: dict[str, dict[tuple[str, ...], dict[str, str]]] = {
    "generate": {("-f", "--format"): {"yaml": _YAML}},
}


def _jwst_value(name: str, args: list[str]) -> str | None:
    """The one line for a value only jwst's option of that name takes, if ``args`` give one."""
    for spellings, values in JWST_ONLY_VALUES.get(name, {}).items():
        for i, token in enumerate(args):
            if token == "--":
                break
            option, _, value = token.partition("=")
            if option in spellings and not value and i + 1 < len(args):
                value = args[i + 1]
            if option in spellings and value.lower() in values:
                return f"{option} {value}: {values[value.lower()]}"
    return None


# The options read before any command, refused by a command that has no use for them:
# one line saying so, as git or cargo do, rather than click's bare "no such option".
def _global_reasons(name: str) -> dict[str, str]:
    return {
        "--db": f"asnsql {name} uses no database",
        "-v": f"asnsql {name} has no verbose output",
        "--verbose": f"asnsql {name} has no verbose output",
    }


def explain_jwst_options(command: Any, name: str) -> Any:
    """``command`` (a click command) refusing an option only jwst's command of the same
    job has with what asnsql does instead, and a global option (--db, -v) it has no use
    for with one line saying so, rather than click's bare "no such option"."""
    known = {**_global_reasons(name), **JWST_ONLY.get(name, {})}
    if command is None or getattr(command, "_explains_jwst", False):
        return command
    parse_args = command.parse_args

    def parse(ctx: Any, args: list[str]) -> Any:
        jwst_value = _jwst_value(name, args)
        if jwst_value is not None:
            raise click.exceptions.UsageError(jwst_value, ctx=ctx)
        try:
            return parse_args(ctx, args)
        except click.exceptions.NoSuchOption as exc:
            reason = known.get(exc.option_name)
            if reason is None:
                raise
            raise click.exceptions.UsageError(f"{exc.option_name}: {reason}", ctx=ctx) from None

    command.parse_args = parse
    command._explains_jwst = True
    return command
