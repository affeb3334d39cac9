"""Small FITS files for the make-pool tests: primary headers only, built with astropy.

The same files feed jwst 3.0.0's asn_make_pool to write fixtures/make_pool/ (see its
README): ``python tests/fits_headers.py DIR`` writes them into DIR.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# Cards every file has, in header order; each file below changes some values, drops
# some keywords and adds others. Types as FITS has them: bools, ints, floats, strings.
_COMMON: list[tuple[str, Any, str]] = [
    ("TELESCOP", "JWST", "Telescope used to acquire the data"),
    ("FILENAME", "placeholder.fits", "Name of the file"),
    ("DATE-OBS", "2024-03-01", "UTC date at start of exposure"),
    ("PROGRAM", "01234", "Program number"),
    ("OBSERVTN", "001", "Observation number"),
    ("VISIT", "001", "Visit number"),
    ("VISITGRP", "01", "Visit group identifier"),
    ("SEQ_ID", "1", "Parallel sequence identifier"),
    ("ACT_ID", "01", "Activity identifier"),
    ("EXPOSURE", "1", "Exposure request number"),
    ("TEMPLATE", "NIRCam Imaging", "Observation template used"),
    ("OBSLABEL", "Deep field, F200W + F444W", "Proposer label for the observation"),
    ("VISITYPE", "PRIME_TARGETED_FIXED", "Visit type"),
    ("TSOVISIT", False, "Time Series Observation visit indicator"),
    ("TARGPROP", "NGC-104", "Proposer's name for the target"),
    ("TARGNAME", "NGC 104", "Standard astronomical catalog name for target"),
    ("TARG_RA", 6.023625, "Target RA at mid time of exposure"),
    ("TARG_DEC", -72.08128055555556, "Target Dec at mid time of exposure"),
    ("BKGDTARG", False, "Background target"),
    ("INSTRUME", "NIRCAM", "Instrument used to acquire the data"),
    ("DETECTOR", "NRCB1", "Name of detector used to acquire the data"),
    ("MODULE", "B", "NIRCam module"),
    ("CHANNEL", "SHORT", "Instrument channel"),
    ("FILTER", "F200W", "Name of the filter element used"),
    ("PUPIL", "CLEAR", "Name of the pupil element used"),
    ("EXP_TYPE", "NRC_IMAGE", "Type of data in the exposure"),
    ("EXPSTART", 60370.51234567, "UTC exposure start time"),
    ("NINTS", 1, "Number of integrations in exposure"),
    ("NGROUPS", 7, "Number of groups in integration"),
    ("EFFEXPTM", 751.512, "Effective exposure time (sec)"),
    ("SUBARRAY", "FULL", "Subarray used"),
    ("PATTTYPE", "FULLBOX", "Primary dither pattern type"),
    ("NUMDTHPT", 2, "Total number of points in pattern"),
    ("PATT_NUM", 1, "Position number in primary pattern"),
    ("NEXPOSUR", 4, "Total number of planned exposures in visit"),
]

_MIRI = {
    "TEMPLATE": "MIRI Imaging",
    "OBSLABEL": "MIRI F770W",
    "INSTRUME": "MIRI",
    "DETECTOR": "MIRIMAGE",
    "FILTER": "F770W",
    "EXP_TYPE": "MIR_IMAGE",
    "NGROUPS": 40,
    "EFFEXPTM": 111.0,
}

# (file name, values changed or added, keywords dropped): three observations of
# program 1234, NIRCam short and long wavelength, a MIRI field and its background.
FILES: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("jw01234001001_01101_00001_nrcb1_uncal.fits", {}, ()),
    (
        "jw01234001001_01101_00002_nrcb1_uncal.fits",
        {"EXPOSURE": "2", "PATT_NUM": 2, "EXPSTART": 60370.52134567},
        (),
    ),
    (
        "jw01234001001_01101_00001_nrcblong_uncal.fits",
        {"DETECTOR": "NRCBLONG", "CHANNEL": "LONG", "FILTER": "F444W"},
        (),
    ),
    (
        "jw01234001001_01101_00002_nrcblong_uncal.fits",
        {"DETECTOR": "NRCBLONG", "CHANNEL": "LONG", "FILTER": "F444W", "EXPOSURE": "2"},
        (),
    ),
    (
        "jw01234002001_02101_00001_mirimage_uncal.fits",
        {"OBSERVTN": "002", "ACT_ID": "01", **_MIRI, "MIRNGRPS": 40},
        ("MODULE", "CHANNEL", "PUPIL"),
    ),
    (
        "jw01234002001_02101_00002_mirimage_uncal.fits",
        {"OBSERVTN": "002", "EXPOSURE": "2", "PATT_NUM": 2, **_MIRI, "MIRNGRPS": 40},
        ("MODULE", "CHANNEL", "PUPIL"),
    ),
    (
        "jw01234003001_02101_00001_mirimage_uncal.fits",
        {
            "OBSERVTN": "003",
            "TARGPROP": "NGC-104-BKG",
            "TARGNAME": "NGC 104 BACKGROUND",
            "BKGDTARG": True,
            **_MIRI,
        },
        ("MODULE", "CHANNEL", "PUPIL"),
    ),
]

# Cards a reader of primary headers must skip or handle: commentary cards, a blank
# card, and a keyword written twice (the later value counts, as in jwst).
_EXTRA_CARDS: list[tuple[str, Any, str]] = [
    ("COMMENT", "Program information", ""),
    ("HISTORY", "made for asnsql's tests", ""),
    ("", "", ""),
    ("HGA_MOVE", True, "High Gain Antenna moved during data collection"),
    ("HGA_MOVE", False, "High Gain Antenna moved during data collection"),
]


def header_cards(changes: dict[str, Any], dropped: tuple[str, ...]) -> list[tuple[str, Any, str]]:
    """The cards of one file: the common cards with ``changes`` applied, then new ones."""
    cards = [
        (key, changes.get(key, value), comment)
        for key, value, comment in _COMMON
        if key not in dropped
    ]
    known = {key for key, _, _ in _COMMON}
    cards += [(key, value, "") for key, value in changes.items() if key not in known]
    return cards + _EXTRA_CARDS


def write_fits(path: Path, cards: list[tuple[str, Any, str]]) -> Path:
    """Write a FITS file whose primary header holds ``cards`` and no data."""
    from astropy.io import fits

    header = fits.Header()
    for key, value, comment in cards:
        header.append((key, value, comment), end=True)
    fits.PrimaryHDU(header=header).writeto(path, overwrite=True)
    return path


def write_fits_files(folder: Path) -> list[Path]:
    """Write the files of FILES into ``folder``; returns their paths in name order."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, changes, dropped in FILES:
        write_fits(folder / name, header_cards(changes, dropped))
    return sorted(folder / name for name, _, _ in FILES)


def main(argv: list[str]) -> int:
    """``python tests/fits_headers.py DIR``: write the files, one line each; one line and
    exit 2 when DIR is missing or astropy is not installed."""
    if len(argv) != 1:
        print("usage: python tests/fits_headers.py DIR", file=sys.stderr)
        return 2
    try:
        import astropy.io.fits  # noqa: F401
    except ImportError:
        print(
            "Error: writing FITS files needs astropy: pip install '.[fits]' (or astropy)",
            file=sys.stderr,
        )
        return 2
    for written in write_fits_files(Path(argv[0])):
        print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
