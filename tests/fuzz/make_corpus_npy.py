#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_npy (tests/fuzz/corpus/npy/). Run by hand, not by the build: the
files are checked in. NumPy writes the valid files; the rest are hand-made from them."""
import io
import pathlib
import sys

import numpy as np

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent / "corpus" / "npy")
out.mkdir(parents=True, exist_ok=True)


def npy(array, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


def raw(header, data=b"", major=1):
    """A file with this exact header text (no padding added)."""
    h = header.encode("latin1")
    length = len(h).to_bytes(2 if major == 1 else 4, "little")
    return b"\x93NUMPY" + bytes([major, 0]) + length + h + data


events = np.arange(12, dtype=np.float64).reshape(4, 3) * 0.25 - 1.0
f4 = npy(events.astype("<f4"))
files = {
    "f4_2d.npy": f4,
    "f8_2d.npy": npy(events[:3, :2].astype("<f8")),
    "f8_1d.npy": npy(np.linspace(-1.0, 1.0, 5)),
    "be_f4_2d.npy": npy(events[:3, :2].astype(">f4")),
    "be_f8_1d.npy": npy(np.array([1.5, -2.25, 3e300, 5e-324]).astype(">f8")),
    "v2_f8.npy": npy(events.astype("<f8"), version=(2, 0)),
    "v3_f4.npy": npy(events.astype("<f4"), version=(3, 0)),
    "special_values_f4.npy": npy(np.array([[np.nan, np.inf], [-np.inf, 1e-45], [-0.0, 3.4e38]], dtype="<f4")),
    "zero_rows.npy": npy(np.zeros((0, 2), dtype="<f8")),
    # Longer than the 64 KiB + 12 bytes the reader parses the header from.
    "large_1d_f4.npy": npy(np.linspace(-1.0, 1.0, 17000).astype("<f4")),
    "fortran_order.npy": npy(np.asfortranarray(events.astype("<f4"))),
    "int32.npy": npy(np.arange(6, dtype="<i4").reshape(3, 2)),
    "shape_3d.npy": npy(np.zeros((2, 2, 2), dtype="<f4")),
    "truncated.npy": f4[:-5],
    "bad_magic.npy": b"PK\x03\x04" + f4[4:],
    "keys_reordered_double_quotes.npy": raw('{"shape": (2, 1), "fortran_order": False, "descr": "float64",}\n',
                                            np.array([0.5, 2.0]).tobytes()),
    "duplicate_key.npy": raw("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", b"\0" * 4),
    # The reproducer: a valid dict padded with 30,000 spaces and a newline.
    "long_header_padding.npy": raw("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }" + " " * 30000 + "\n",
                                   b"\0" * 8),
    # The same length inside the dict, where the old regex recursed on every character.
    "long_header_in_dict.npy": raw("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), " + " " * 30000 + "}\n",
                                   b"\0" * 8),
}
for name, data in files.items():
    (out / name).write_bytes(data)
print(f"{len(files)} files in {out}")
