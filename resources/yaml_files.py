"""Reading the YAML files a service manager edits: safe, fast, and strict about repeated keys.

YAML quietly keeps the last of two equal keys, so a second `rules:` or a repeated plan key would
hide what was written first; here it is an error with its line instead.
"""

from __future__ import annotations

from typing import Any

import yaml

_BaseLoader: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class _UniqueKeyLoader(_BaseLoader):  # type: ignore[misc]
    """libyaml's safe loader when present (for speed), refusing a key written twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return dict(super().construct_mapping(node, deep=deep))


def parse_yaml(text: str, *, first_line: int = 1) -> Any:
    """The document in `text`; a `YamlProblem` says what is wrong and on which line, counted
    from `first_line` (front matter starts on line 2 of its file)."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + first_line}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem(f"{line}invalid YAML: {' '.join(str(problem).split())}") from None


class YamlProblem(ValueError):
    """Invalid YAML; callers add the file's name to the message."""
