"""YAML with line numbers, so validation errors can point at the line to edit.

The document is parsed once (libyaml when available): the composed node tree gives every
key path its line, and the same tree is constructed into plain data. A path that does not
exist (a missing field) falls back to its nearest existing parent, which is where the
reviewer should add it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LineIndex:
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = path + (str(key.value),)
                self.lines[child] = key.start_mark.line + 1
                self._walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, path + (str(i),))

    def line_of(self, path: tuple[str, ...]) -> int | None:
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path)


def load_with_lines(text: str) -> tuple[Any, LineIndex]:
    """Parse one YAML document into (data, line index); raises yaml.YAMLError on bad syntax."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        index = LineIndex()
        if node is None:
            return None, index
        index._walk(node, ())
        return loader.construct_document(node), index
    finally:
        loader.dispose()
