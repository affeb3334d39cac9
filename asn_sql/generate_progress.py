"""The callback a run reports its steps to (a rule's name as it starts)."""

from collections.abc import Callable

Progress = Callable[[str], None]
