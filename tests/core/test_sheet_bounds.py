"""Spreadsheets bounded before they are loaded: zip bombs and far-apart cells refused
with a typed error naming the file, and the process never aborted by an allocation.

The workbooks are written here byte by byte (a handful of XML members), so each is a few
hundred bytes however large a table it asks for.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawcore import InvalidInputError
from drawcore.registry import sheetbounds
from drawcore.registry.ids import make_uscc
from drawcore.registry.readers import ReadLimits, read_units

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
    '" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
    'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
    'r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    "schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
    '" Target="worksheets/sheet1.xml"/></Relationships>'
)
UNIT = make_uscc("91441322MA4W00001")


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: dict[int, list[tuple[str, str]]]) -> str:
    body = "".join(
        f'<row r="{r}">' + "".join(_cell(f"{col}{r}", t) for col, t in cells) + "</row>"
        for r, cells in sorted(rows.items())
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>'
    )


def workbook(path: Path, sheet: str, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def registry_rows(last_row: int = 2) -> dict[int, list[tuple[str, str]]]:
    header = ["统一社会信用代码", "名称", "主体类型", "行业类别", "所属乡镇", "风险等级"]
    record = [UNIT, "博罗县单位", "有限责任公司", "机械", "石湾镇", "较大风险"]
    return {
        1: [(chr(65 + j), h) for j, h in enumerate(header)],
        last_row: [(chr(65 + j), v) for j, v in enumerate(record)],
    }


def test_a_hand_written_workbook_reads(tmp_path: Path) -> None:
    """The builder below writes real workbooks: a small one reads as a registry."""
    units = read_units(workbook(tmp_path / "u.xlsx", sheet_xml(registry_rows())))
    assert units.ids.tolist() == [UNIT]


def test_two_far_cells_are_refused_before_loading(tmp_path: Path) -> None:
    """A1 and ZZ200000: a 500-byte file asking for a 140-million cell table."""
    rows = registry_rows()
    rows[200_000] = [("ZZ", "x")]
    path = workbook(tmp_path / "单位名册.xlsx", sheet_xml(rows))
    assert path.stat().st_size < 2_000
    with pytest.raises(InvalidInputError) as info:
        read_units(path)
    assert str(info.value) == (
        f"{path}: a sheet spans 200000 rows by 702 columns, more than the limit of "
        "50000000 cells (ReadLimits.max_cells)"
    )


def test_a_column_beyond_any_sheet_is_refused(tmp_path: Path) -> None:
    rows = registry_rows()
    rows[3] = [("ABCD", "x")]
    with pytest.raises(InvalidInputError, match="names a cell beyond any sheet's size"):
        read_units(workbook(tmp_path / "u.xlsx", sheet_xml(rows)))


@settings(max_examples=25, deadline=None)
@given(last_row=st.integers(2, 400), column=st.sampled_from(["G", "H", "Z", "AA", "AZ", "CV"]))
def test_max_cells_is_the_exact_bound(tmp_path_factory: pytest.TempPathFactory, last_row: int,
                                      column: str) -> None:  # fmt: skip
    """rows x columns of the used area, counted from A1: at the limit it reads, one
    cell under it is refused."""
    rows = registry_rows(last_row)
    rows[last_row].append((column, ""))
    path = workbook(tmp_path_factory.mktemp("b") / "u.xlsx", sheet_xml(rows))
    width = 0
    for letter in column:
        width = width * 26 + ord(letter) - 64
    assert len(read_units(path, limits=ReadLimits(max_cells=last_row * width))) == 1
    with pytest.raises(InvalidInputError, match=r"ReadLimits\.max_cells"):
        read_units(path, limits=ReadLimits(max_cells=last_row * width - 1))


def test_rows_without_a_reference_count(tmp_path: Path) -> None:
    """A row with no ``r`` follows the last one: the reader places it there, so it counts
    (conservatively, even when it is empty)."""
    xml = sheet_xml(registry_rows(1000)).replace("</sheetData>", "<row></row></sheetData>")
    path = workbook(tmp_path / "u.xlsx", xml)
    with pytest.raises(InvalidInputError, match=r"ReadLimits\.max_cells"):
        read_units(path, limits=ReadLimits(max_cells=6 * 1000))
    assert len(read_units(path, limits=ReadLimits(max_cells=6 * 1001))) == 1


def test_a_zip_bomb_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    """A member of 64 MiB of zeros packs to about 64 KiB; the directory says what it
    unpacks to, and that is checked before anything is unpacked."""
    bomb = bytes(64 << 20)
    path = workbook(tmp_path / "炸弹.xlsx", sheet_xml(registry_rows()), {"xl/media/x.bin": bomb})
    assert path.stat().st_size < 200_000
    with pytest.raises(InvalidInputError) as info:
        read_units(path, limits=ReadLimits(max_unpacked_bytes=32 << 20))
    assert str(info.value).startswith(f"{path}: the spreadsheet unpacks to at least ")
    assert str(info.value).endswith("(ReadLimits.max_unpacked_bytes)")
    assert len(read_units(path)) == 1  # the default (1 GiB) lets it through


def _lie_about_size(path: Path, member: str, size: int) -> None:
    """Rewrite ``member``'s uncompressed size in its local header and the directory."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        n = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30 : local + 30 + n] == name:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + n] == name:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def test_a_member_that_unpacks_to_more_than_it_declares_is_refused(tmp_path: Path) -> None:
    """Declared sizes can lie: the worksheet is unpacked (no further than declared) and its
    checksum checked before the reader sees it."""
    rows = registry_rows()
    rows[50_000] = [("G", "x" * 10_000)]
    path = workbook(tmp_path / "u.xlsx", sheet_xml(rows))
    _lie_about_size(path, "xl/worksheets/sheet1.xml", 100)
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size == 100
    with pytest.raises(InvalidInputError, match=r"sheet1\.xml cannot be unpacked"):
        read_units(path)


def test_an_xls_larger_than_its_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "单位名册.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    with pytest.raises(InvalidInputError) as info:
        read_units(path, limits=ReadLimits(max_xls_bytes=4096))
    assert str(info.value) == (
        f"{path}: the .xls file is 4104 bytes, more than the limit of 4096 bytes "
        "(ReadLimits.max_xls_bytes)"
    )


def test_limits_are_positive_integers() -> None:
    for field in ("max_unpacked_bytes", "max_cells", "max_xls_bytes"):
        with pytest.raises(InvalidInputError, match=field):
            ReadLimits(**{field: 0})


@settings(max_examples=40, deadline=None)
@given(
    chunk=st.integers(1, 200),
    last_row=st.integers(2, 120_000),
    column=st.sampled_from(["G", "AB", "ZZ", "XFD"]),
)
def test_the_extent_is_the_same_whatever_the_chunks(
    tmp_path_factory: pytest.TempPathFactory, chunk: int, last_row: int, column: str
) -> None:
    """A reference cut between two chunks of the unpacked text is read whole."""
    rows = registry_rows(last_row)
    rows[last_row].append((column, "x"))
    path = workbook(tmp_path_factory.mktemp("x") / "u.xlsx", sheet_xml(rows))
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
        whole = sheetbounds._extent(archive, member, str(path), ReadLimits())
        with mock.patch.object(sheetbounds, "_CHUNK", chunk):
            assert sheetbounds._extent(archive, member, str(path), ReadLimits()) == whole
    width = 0
    for letter in column:
        width = width * 26 + ord(letter) - 64
    assert whole == (last_row, width)
