"""YAML with line numbers, so validation errors can point at the line to edit.

The document is parsed once (libyaml when available): the composed node tree gives every
key path its line, and the same tree is constructed into plain data. A path that does not
exist (a missing field) falls back to its nearest existing parent, which is where the
reviewer should add it.

Before composing, one pass over the parser's events refuses what these files never need and
an attacker would use: anchors and aliases (an alias-expansion bomb is a few hundred bytes and
expands past any memory; refusing the first anchor costs microseconds), nesting deeper than a
limit, and duplicate keys (YAML keeps the last one silently, so a reviewer could approve the
first while the deploy uses the second).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_MAX_DEPTH = 32


class YamlRefused(yaml.MarkedYAMLError):
    """Valid YAML that hipaachat files may not use; `fix` says what to write instead."""

    def __init__(self, problem: str, mark: yaml.Mark | None, fix: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.fix = fix


@dataclass
class LineIndex:
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    # Where each key path's value starts: (line, 1-based column of its first character of content,
    # past an opening quote), so a finding inside a string can point at the character.
    values: dict[tuple[str, ...], tuple[int, int]] = field(default_factory=dict)

    def _walk(self, node: yaml.Node, path: tuple[str, ...]) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"')
        self.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1 + quoted))
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

    def position_of(self, path: tuple[str, ...], offset: int = 0) -> tuple[int | None, int | None]:
        """(line, column) of the value at `path`, `offset` characters into it when it is one line of text.

        A missing path falls back to its nearest existing parent's line with no column (where to add it).
        """
        if path in self.values:
            line, column = self.values[path]
            return line, column + offset
        return self.line_of(path), None


def check_structure(text: str, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
    """Refuse anchors, aliases, merge keys, nesting deeper than `max_depth` and duplicate keys."""
    loader = _Loader(text)
    # One frame per open collection: for a mapping, the keys seen and whether a key comes next.
    frames: list[tuple[set[str], list[bool]] | None] = []
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise YamlRefused("anchors (&name) and aliases (*name) are not allowed", event.start_mark,
                                  "write each value out in full")
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                _check_key(frames, event)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                frames.append((set(), [True]) if isinstance(event, yaml.MappingStartEvent) else None)
                if len(frames) > max_depth:
                    raise YamlRefused(f"nesting is deeper than the limit of {max_depth} levels", event.start_mark,
                                      "flatten the structure; no hipaachat file needs this depth")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frames.pop()
    finally:
        loader.dispose()


def _check_key(frames: list[tuple[set[str], list[bool]] | None], event: yaml.Event) -> None:
    frame = frames[-1] if frames else None
    if frame is None:
        return
    seen, expecting_key = frame
    if expecting_key[0] and isinstance(event, yaml.ScalarEvent):
        if event.value == "<<" and event.tag is None and event.implicit[0]:
            raise YamlRefused("merge keys (<<) are not allowed", event.start_mark, "write each key out in full")
        if event.value in seen:
            raise YamlRefused(f"duplicate key '{event.value[:40]}'", event.start_mark,
                              "keep one of them: YAML would silently use the last")
        seen.add(event.value)
    expecting_key[0] = not expecting_key[0]


def load_with_lines(text: str, max_depth: int = DEFAULT_MAX_DEPTH) -> tuple[Any, LineIndex]:
    """Parse one YAML document into (data, line index); raises yaml.YAMLError on bad or refused YAML."""
    check_structure(text, max_depth)
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
