#!/usr/bin/env python3
"""Reads a ZIP archive with Python's zipfile module, an implementation independent of the service's
ZIP writer, for tests/support/zip_reader.h.

usage: read_zip.py <archive>
Prints one JSON object: {"entries": [{"name", "crc", "size", "compress_type", "data" (base64)}]}.
Exits 1 (the reason on stderr) when zipfile cannot read the archive, warns about it (a duplicate
name, say), or testzip() finds an entry whose CRC-32 or header is wrong.
"""
import base64
import json
import sys
import warnings
import zipfile

warnings.simplefilter("error")  # zipfile's warnings are findings too

with zipfile.ZipFile(sys.argv[1]) as archive:
    bad = archive.testzip()
    if bad is not None:
        sys.exit("zipfile.testzip(): bad CRC-32 or file header in entry %r" % bad)
    entries = []
    for info in archive.infolist():
        entries.append({
            "name": info.filename,
            "crc": info.CRC,
            "size": info.file_size,
            "compress_type": info.compress_type,
            "data": base64.b64encode(archive.read(info)).decode("ascii"),
        })
json.dump({"entries": entries}, sys.stdout)
