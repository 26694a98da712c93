"""components.files as the readers of promotion records and state exports will use it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from components.files import (
    STACK_FILE,
    TENANT_FILE,
    InputFileError,
    Limits,
    read_bytes,
    read_json,
    read_lines,
    read_text,
    read_yaml,
    read_yaml_with_lines,
)

RECORDS = Limits("promotion record file", 1024 * 1024)


def test_text_strips_the_bom_and_accepts_crlf(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\r\nb: caf\xc3\xa9\r\n")
    assert read_text(path, TENANT_FILE) == "a: 1\nb: café\n"
    assert read_bytes(path, TENANT_FILE).startswith(b"\xef\xbb\xbf")  # bytes stay exact, for hashing


def test_errors_carry_file_line_offset_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "stacks" / "t.yaml"
    path.parent.mkdir()
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(InputFileError) as caught:
        read_text(path, TENANT_FILE, root=tmp_path)
    error = caught.value
    assert (error.file, error.line, error.offset) == ("stacks/t.yaml", 2, 11)
    assert str(error) == ("stacks/t.yaml:2: is not UTF-8 text (byte 0xE9) at byte offset 11; "
                          "save it as UTF-8 text (most editors: 'Save with encoding' > UTF-8)")


def test_yaml_errors_name_the_line_and_refusals_say_what_to_write_instead(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("config:\n  a: 1\n  b: &x 2\n")
    with pytest.raises(InputFileError) as caught:
        read_yaml(path, STACK_FILE)
    assert caught.value.line == 3 and "write each value out in full" in str(caught.value)
    path.write_text("config:\n  a: 1\n  b: [1, {c: 2}]\n")
    data, lines = read_yaml_with_lines(path, STACK_FILE)
    assert data == {"config": {"a": 1, "b": [1, {"c": 2}]}}
    assert lines.line_of(("config", "b")) == 3


def test_the_same_key_in_different_mappings_is_not_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a: {name: x}\nb: {name: y}\nc: [{name: 1}, {name: 2}]\n")
    assert read_yaml(path, TENANT_FILE)["c"] == [{"name": 1}, {"name": 2}]


def test_nesting_at_the_limit_is_accepted_and_one_more_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    limits = Limits("tenant file", 1024, max_depth=5)
    path.write_text("[" * 5 + "]" * 5)
    assert read_yaml(path, limits) == [[[[[]]]]]
    path.write_text("[" * 6 + "]" * 6)
    with pytest.raises(InputFileError, match="deeper than the limit of 5"):
        read_yaml(path, limits)


def test_a_file_at_the_size_limit_is_read_and_one_byte_more_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    limits = Limits("tenant file", 100)
    path.write_bytes(b"#" * 99 + b"\n")
    assert len(read_text(path, limits)) == 100
    path.write_bytes(b"#" * 100 + b"\n")
    with pytest.raises(InputFileError, match="larger than the 100 bytes limit"):
        read_text(path, limits)


def test_lines_stream_with_offsets_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    lines = [f'{{"id": {i}, "pad": "{"x" * (i % 700)}"}}' for i in range(400)]
    path.write_bytes(("\r\n".join(lines) + "\n").encode())
    assert list(read_lines(path, RECORDS)) == list(enumerate(lines, start=1))
    data = path.read_bytes()
    bad_at = len(data) - 10  # well past the first 64 KiB chunk
    path.write_bytes(data[:bad_at] + b"\xff" + data[bad_at:])
    with pytest.raises(InputFileError) as caught:
        list(read_lines(path, RECORDS))
    assert caught.value.offset == bad_at and caught.value.line == 400


def test_lines_enforce_the_limit_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"{}\n" * 10)
    assert len(list(read_lines(path, Limits("records", 30)))) == 10
    with pytest.raises(InputFileError, match="larger than"):
        list(read_lines(path, Limits("records", 29)))


def test_symlinks_inside_the_project_are_followed_and_outside_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    (root / "real.yaml").write_text("a: 1\n")
    (root / "stacks" / "inside.yaml").symlink_to(root / "real.yaml")
    assert read_yaml(root / "stacks" / "inside.yaml", TENANT_FILE, root=root) == {"a": 1}
    (tmp_path / "elsewhere.yaml").write_text("a: 1\n")
    (root / "stacks" / "outside.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(InputFileError, match="outside the project"):
        read_yaml(root / "stacks" / "outside.yaml", TENANT_FILE, root=root)


def test_a_fifo_is_refused_without_blocking_and_a_missing_file_is_named(tmp_path: Path) -> None:
    fifo = tmp_path / "t.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="FIFO"):
        read_text(fifo, TENANT_FILE)  # with no writer, an open() without the stat check would block forever
    with pytest.raises(InputFileError, match="no such tenant file"):
        read_text(tmp_path / "missing.yaml", TENANT_FILE)


def test_json_is_strict_and_bounded(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    limits = Limits("state export", 1024 * 1024, max_depth=4)
    path.write_text('{"version": 3, "deployment": {"resources": [{"urn": "u"}]}}')
    assert read_json(path, limits)["deployment"]["resources"] == [{"urn": "u"}]
    path.write_text('{"version": 3,\n "deployment": {"resources": [{"urn": [1]}]}}')
    with pytest.raises(InputFileError, match="deeper than the limit of 4"):
        read_json(path, limits)
    path.write_text("[" * 100_000 + "]" * 100_000)  # past Python's own recursion limit
    with pytest.raises(InputFileError, match="deeper than the limit"):
        read_json(path, limits)
    path.write_text('{"a": NaN}')
    with pytest.raises(InputFileError, match="NaN"):
        read_json(path, limits)
    path.write_text('{\n"a": 1,\n}')
    with pytest.raises(InputFileError) as caught:
        read_json(path, limits)
    assert caught.value.line == 3
