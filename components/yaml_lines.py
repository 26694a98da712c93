"""Line numbers for YAML paths, so validation errors can point at the line to edit.

PyYAML's composer keeps a start mark on every node; we walk the node tree once and index
each key path. A path that does not exist (a missing field) falls back to its nearest
existing parent, which is where the reviewer should add it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml


@dataclass
class LineIndex:
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "LineIndex":
        index = cls()
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            index._walk(root, ())
        return index

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
