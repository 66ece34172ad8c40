"""Attachments are accepted by content: each allowed type from a real minimal file, and the lies."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import pytest

from domain.attachment_types import MAX_ATTACHMENT_BYTES, AttachmentRejected, classify


def png() -> bytes:
    """A valid 1×1 grey PNG: signature, IHDR, IDAT (one filtered scanline), IEND, with CRCs."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\x7f"))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
        b"trailer <</Root 1 0 R>>\n%%EOF\n"
    )


def office_zip(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr(part, '<?xml version="1.0"?><root/>')
    return buffer.getvalue()


def ole2() -> bytes:
    """An OLE2 compound-file header: magic, minor/major version, byte order, sector shift, padding."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHH", 0x3E, 3, 0xFFFE, 9)
    return header.ljust(512, b"\x00")


def iso_bmff(major: bytes, compatible: list[bytes]) -> bytes:
    brands = b"".join(compatible)
    ftyp = struct.pack(">I", 16 + len(brands)) + b"ftyp" + major + struct.pack(">I", 0) + brands
    return ftyp + struct.pack(">I", 8) + b"free"


def gif() -> bytes:
    """A 1×1 GIF89a: header, screen descriptor, 2-colour table, image descriptor, LZW data, trailer."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
        b"\x00\x00\x00\xff\xff\xff"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00"
        b"\x02\x02D\x01\x00;"
    )


def jpeg() -> bytes:
    """SOI, an APP0/JFIF segment, EOI: the markers a JPEG starts and ends with."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xd9"


def har() -> bytes:
    return json.dumps(
        {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": []}}
    ).encode()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("screen.png", png(), "image/png"),
        ("SCREEN.PNG", png(), "image/png"),
        ("invoice.pdf", pdf(), "application/pdf"),
        ("report.docx", office_zip("word/document.xml"), DOCX_TYPE),
        ("sheet.xlsx", office_zip("xl/workbook.xml"), XLSX_TYPE),
        ("old.doc", ole2(), "application/msword"),
        ("clip.mp4", iso_bmff(b"isom", [b"isom", b"mp41"]), "video/mp4"),
        ("clip.mov", iso_bmff(b"qt  ", [b"qt  "]), "video/quicktime"),
        ("anim.gif", gif(), "image/gif"),
        ("photo.jpg", jpeg(), "image/jpeg"),
        ("photo.JPEG", jpeg(), "image/jpeg"),
        ("rows.csv", b"id,name\n1,Ana\n", "text/csv; charset=utf-8"),
        ("rows.tsv", "id\tname\n1\tJoão\n".encode(), "text/tab-separated-values; charset=utf-8"),
        ("notes.txt", "GIF export fails – see log\r\n".encode(), "text/plain; charset=utf-8"),
        ("excel.csv", "\ufeffid,name\n1,Zoë\n".encode(), "text/csv; charset=utf-8"),
        ("legacy.csv", "id;nome\n1;Conceição\n".encode("latin-1"), "text/csv; charset=iso-8859-1"),
        ("session.har", har(), "application/json"),
    ],
)
def test_allowed_types_are_recognised_by_content(filename: str, data: bytes, content_type: str) -> None:
    assert classify(filename, data).content_type == content_type


def test_the_canonical_extension_is_returned() -> None:
    assert classify("photo.jpeg", jpeg()).extension == "jpg"


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("screen.pdf", png()),  # a PNG renamed .pdf
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),  # not an allowed type at all
        ("invoice.exe.txt", b"MZ\x90\x00\x03\x00\x00\x00"),  # an executable renamed .txt
        ("README", b"plain text"),  # no extension
        ("page.html", b"<html></html>"),
        ("report.docx", office_zip("xl/workbook.xml")),  # a spreadsheet named .docx
        ("archive.xlsx", office_zip("src/main.py")),  # a plain zip
        ("broken.docx", b"PK\x03\x04 not really a zip"),
        ("photo.jpg", png()),
        ("clip.mov", iso_bmff(b"isom", [b"isom"])),  # an MP4 named .mov
        ("clip.mp4", b"\x00\x00\x00\x08free"),
        ("old.doc", pdf()),
        ("notes.txt", pdf()),  # a PDF is not plain text
        ("rows.tsv", "id\tnome\n1\tConceição\n".encode("latin-1")),  # TSV must be UTF-8
        ("rows.csv", bytes(range(1, 32)) * 10),  # control characters: binary, not text
        ("session.har", b'{"entries": []}'),  # JSON without "log"
        ("session.har", b'{"log": [1, 2]}'),
        ("session.har", b"not json"),
    ],
)
def test_a_file_whose_content_contradicts_its_name_is_415(filename: str, data: bytes) -> None:
    with pytest.raises(AttachmentRejected) as caught:
        classify(filename, data)
    assert caught.value.status == 415, caught.value.reason


def test_png_renamed_pdf_says_what_it_saw() -> None:
    with pytest.raises(AttachmentRejected, match=r"named \.pdf but its content looks like PNG"):
        classify("screen.pdf", png())


def test_larger_than_500_kb_is_413_and_500_kb_exactly_passes() -> None:
    assert classify("big.txt", b"a" * MAX_ATTACHMENT_BYTES).extension == "txt"
    with pytest.raises(AttachmentRejected) as caught:
        classify("big.txt", b"a" * 600 * 1024)
    assert caught.value.status == 413


def test_an_empty_file_is_422() -> None:
    with pytest.raises(AttachmentRejected) as caught:
        classify("empty.csv", b"")
    assert caught.value.status == 422
