"""A dump archive as a list of tar entries: read one, change tables, write it back in the same order (the
e2e tests that need a dump the fixture generator does not make)."""
import gzip
import io
import tarfile
from pathlib import Path


def read_entries(path):
    """-> [(TarInfo, bytes or None)] in archive order."""
    out = []
    with tarfile.open(path, "r|gz") as t:
        for m in t:
            out.append((m, t.extractfile(m).read() if m.isfile() else None))
    return out


def write_entries(entries, path):
    """Writes a GNU tar, gzipped (one member), with the same entry order."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        for info, data in entries:
            if data is None:
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    Path(path).write_bytes(gzip.compress(raw.getvalue(), compresslevel=6, mtime=0))
    return raw.getvalue()
