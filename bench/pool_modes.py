"""Observation templates for bench/random_pools.py: the exposures of one JWST observation.

Each template takes a random generator and an ``Obs`` (program, observation number,
target) and returns the observation's rows as dicts of lower-case pool column -> raw
value (upper case, as archive pools write them). Values follow the conformance pools in
fixtures/pools/: the instruments, modes, dither and nod patterns, target acquisitions,
backgrounds, imprints and PSFs that jwst 3.0.0's rules
(jwst/associations/lib/rules_level2.py, rules_level3.py) know.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

Row = dict[str, str]


@dataclass
class Obs:
    """One observation being built: its identity and a counter for exposure names."""

    program: int
    obs_num: int
    target: int
    visitype: str = "PRIME_TARGETED_FIXED"
    tso: bool = False
    activity: int = 1
    flags: dict[str, str] = field(default_factory=dict)

    def next_activity(self) -> int:
        self.activity += 1
        return self.activity


def exposure(
    obs: Obs, exp_type: str, instrume: str, detector: str, number: int = 1, **values: str
) -> Row:
    """One exposure of ``obs`` with a DMS file name; ``values`` set further columns."""
    act = values.pop("act_id", f"{obs.activity:02d}")
    root = f"jw{obs.program:05d}{obs.obs_num:03d}001_02{int(act):03d}_{number:05d}"
    name = f"{root}_{detector.lower()}_uncal.fits"
    row = {
        "filename": name,
        "obs_id": f"V{obs.program:05d}{obs.obs_num:03d}001P00000000021{int(act):02d}",
        "program": str(obs.program),
        "obs_num": str(obs.obs_num),
        "visit": "1",
        "visit_id": f"{obs.program:05d}{obs.obs_num:03d}001",
        "visitgrp": "2",
        "visitype": obs.visitype,
        "seq_id": "1",
        "act_id": act,
        "exposure": str(number),
        "exp_type": exp_type,
        "instrume": instrume,
        "detector": detector,
        "targetid": str(obs.target),
        "targname": f"TARGET-{obs.target}",
        "pntgtype": "SCIENCE",
        "expspcin": "1",
        "dithptin": "1",
        "mostilno": "1",
        "subarray": "FULL",
        "tsovisit": "T" if obs.tso else "F",
        "is_psf": "F",
        "is_imprt": "F",
        "bkgdtarg": "F",
        "exposerr": "NULL",
        "nints": "1",
    }
    row.update(obs.flags)
    row.update(values)
    return row


def dithers(n: int, make: Callable[[int], Row], patttype: str) -> list[Row]:
    """``n`` dither positions of one exposure specification."""
    rows = []
    for i in range(1, n + 1):
        row = make(i)
        row.setdefault("patttype", patttype)
        row.setdefault("numdthpt", str(n))
        row.setdefault("patt_num", str(i))
        row.setdefault("dithptin", str(i))
        rows.append(row)
    return rows


def ta(
    rng: random.Random, obs: Obs, exp_type: str, instrume: str, detector: str, **values: str
) -> Row:
    """A target acquisition exposure (its own activity)."""
    act = f"{obs.next_activity():02d}"
    pntg = rng.choice(["TARGET_ACQUISITION", "TARGET_ACQUISITION", "SCIENCE"])
    return exposure(obs, exp_type, instrume, detector, 1, act_id=act, pntgtype=pntg, **values)


# ---------------------------------------------------------------------- imaging


def nrc_image(rng: random.Random, obs: Obs) -> list[Row]:
    filt = rng.choice(["F090W", "F150W", "F200W", "F277W", "F356W", "F444W"])
    long = filt in ("F277W", "F356W", "F444W")
    dets = ["NRCALONG", "NRCBLONG"] if long else ["NRCA1", "NRCA2", "NRCB1", "NRCB3"]
    dets = rng.sample(dets, rng.randint(1, 2))
    pupil = rng.choice(["CLEAR", "CLEAR", "F162M" if not long else "F405N"])
    n = rng.randint(1, 4)
    rows = []
    for det in dets:
        rows += dithers(
            n,
            lambda i, det=det: exposure(
                obs,
                "NRC_IMAGE",
                "NIRCAM",
                det,
                i,
                filter=filt,
                pupil=pupil,
                channel="LONG" if long else "SHORT",
                module=det[3],
            ),
            rng.choice(["FULLBOX", "INTRAMODULE", "NONE"]),
        )
    return rows


def mir_image(rng: random.Random, obs: Obs) -> list[Row]:
    filt = rng.choice(["F560W", "F770W", "F1000W", "F1500W", "F2100W"])
    sub = rng.choice(["FULL", "FULL", "BRIGHTSKY", "SUB256"])
    return dithers(
        rng.randint(1, 4),
        lambda i: exposure(obs, "MIR_IMAGE", "MIRI", "MIRIMAGE", i, filter=filt, subarray=sub),
        rng.choice(["CYCLING", "REULEAUX", "NONE"]),
    )


def nis_image(rng: random.Random, obs: Obs) -> list[Row]:
    pupil = rng.choice(["F150W", "F200W", "F090W"])
    return dithers(
        rng.randint(1, 3),
        lambda i: exposure(obs, "NIS_IMAGE", "NIRISS", "NIS", i, filter="CLEAR", pupil=pupil),
        "IMAGING",
    )


def fgs_image(rng: random.Random, obs: Obs) -> list[Row]:
    det = rng.choice(["GUIDER1", "GUIDER2"])
    exp_type = rng.choice(["FGS_IMAGE", "FGS_IMAGE", "FGS_FOCUS"])
    return [exposure(obs, exp_type, "FGS", det, i) for i in range(1, rng.randint(1, 3) + 1)]


def imaging(rng: random.Random, obs: Obs) -> list[Row]:
    """Any imager, sometimes with a TA, a PSF or a background flag."""
    rows = rng.choice([nrc_image, mir_image, nis_image, fgs_image])(rng, obs)
    first = rows[0]
    if rng.random() < 0.2:
        rows.insert(
            0,
            ta(
                rng,
                obs,
                {"NIRCAM": "NRC_TACQ", "MIRI": "MIR_TACQ", "NIRISS": "NIS_TACQ"}.get(
                    first["instrume"], "NRC_TACQ"
                ),
                first["instrume"],
                first["detector"],
                filter=first.get("filter", "NULL"),
            ),
        )
    if rng.random() < 0.15:
        for row in rows[-2:]:
            row[rng.choice(["is_psf", "bkgdtarg"])] = rng.choice(["T", "TRUE", "Y"])
    return rows


def wfsc(rng: random.Random, obs: Obs) -> list[Row]:
    """Wavefront sensing and control: a WFSC visit of NIRCam images."""
    obs.visitype = rng.choice(
        ["PRIME_WFSC_SENSING_CONTROL", "PRIME_WFSC_SENSING_ONLY", "PRIME_WFSC_ROUTINE"]
    )
    rows = []
    for det in rng.sample(["NRCA1", "NRCA3", "NRCB4"], rng.randint(1, 2)):
        for pupil in rng.sample(["WLM8", "WLP8", "CLEAR", "GDHS0"], rng.randint(1, 3)):
            act = f"{obs.next_activity():02d}"
            rows.append(
                exposure(
                    obs,
                    "NRC_IMAGE",
                    "NIRCAM",
                    det,
                    1,
                    act_id=act,
                    filter="F212N",
                    pupil=pupil,
                    patttype="WFSC",
                    dms_note=rng.choice(["NULL", "NULL", "WFSC_LOS_JITTER"]),
                )
            )
    return rows


# ---------------------------------------------------------------------- slitless


def series(
    rng: random.Random, obs: Obs, exp_type: str, instrume: str, detector: str, **values
) -> Callable[[int], Row]:
    """Exposures ``i`` of one specification; a list value is drawn anew for each exposure."""

    def make(i: int) -> Row:
        drawn = {k: rng.choice(v) if isinstance(v, list) else v for k, v in values.items()}
        return exposure(obs, exp_type, instrume, detector, i, **drawn)

    return make


def wfss(rng: random.Random, obs: Obs) -> list[Row]:
    """NIRCam, NIRISS or MIRI WFSS with direct images before and after."""
    kind = rng.choice(["nrc", "nis", "mir"])
    if kind == "nrc":
        det, filt = rng.choice(["NRCALONG", "NRCBLONG"]), rng.choice(["F356W", "F444W"])
        common = {"filter": filt, "module": det[3], "channel": "LONG"}
        grism = series(rng, obs, "NRC_WFSS", "NIRCAM", det, pupil=["GRISMR", "GRISMC"], **common)
        image = series(rng, obs, "NRC_IMAGE", "NIRCAM", det, pupil="CLEAR", **common)
    elif kind == "nis":
        pupil = rng.choice(["F150W", "F200W"])
        grism = series(
            rng, obs, "NIS_WFSS", "NIRISS", "NIS", filter=["GR150R", "GR150C"], pupil=pupil
        )
        image = series(rng, obs, "NIS_IMAGE", "NIRISS", "NIS", filter="CLEAR", pupil=pupil)
    else:
        grism = series(rng, obs, "MIR_WFSS", "MIRI", "MIRIMAGE", filter="P750L")
        image = series(rng, obs, "MIR_IMAGE", "MIRI", "MIRIMAGE", filter=["F560W", "F770W"])
    rows = dithers(rng.randint(1, 2), image, "NONE")
    obs.next_activity()
    for spec in range(1, rng.randint(1, 2) + 1):
        rows += dithers(
            rng.randint(1, 3), lambda i, s=spec: {**grism(i), "expspcin": str(s)}, "NONE"
        )
    if rng.random() < 0.7:
        obs.next_activity()
        rows += dithers(1, image, "NONE")
    return rows


def tso(rng: random.Random, obs: Obs) -> list[Row]:
    """Time series: NIRCam imaging or grism, MIRI LRS slitless, NIRISS SOSS, NIRSpec BOTS."""
    obs.tso = True
    nints = rng.choice(["1", "100", "1000"])
    kinds = {
        "tsimage": (
            "NRC_TSIMAGE",
            "NIRCAM",
            "NRCA3",
            {"filter": "F210M", "pupil": ["CLEAR", "WLP8"], "subarray": "SUB64P"},
        ),
        "tsgrism": (
            "NRC_TSGRISM",
            "NIRCAM",
            rng.choice(["NRCALONG", "NRCALONG", "NRCBLONG"]),
            {
                "filter": "F322W2",
                "pupil": ["GRISMR", "GRISMR", "CLEAR"],
                "subarray": ["SUBGRISM64", "SUB41STRIPE1_DHS"],
            },
        ),
        "lrs": (
            "MIR_LRS-SLITLESS",
            "MIRI",
            "MIRIMAGE",
            {"filter": "P750L", "subarray": "SLITLESSPRISM"},
        ),
        "soss": (
            "NIS_SOSS",
            "NIRISS",
            "NIS",
            {
                "filter": ["CLEAR", "CLEAR", "F277W"],
                "pupil": "GR700XD",
                "subarray": ["SUBSTRIP256", "SUBSTRIP96"],
            },
        ),
        "bots": (
            "NRS_BRIGHTOBJ",
            "NIRSPEC",
            rng.choice(["NRS1", "NRS2"]),
            {"filter": "F290LP", "grating": "G395H", "fxd_slit": "S1600A1", "subarray": "SUB2048"},
        ),
        "mirimage": ("MIR_IMAGE", "MIRI", "MIRIMAGE", {"filter": "F1500W", "subarray": "SUB64"}),
    }
    exp_type, instrume, detector, values = kinds[rng.choice(sorted(kinds))]
    make = series(rng, obs, exp_type, instrume, detector, nints=nints, **values)
    rows = [make(i) for i in range(1, rng.randint(1, 3) + 1)]
    if rng.random() < 0.5:
        first = rows[0]
        ta_type = {"NIRCAM": "NRC_TACQ", "MIRI": "MIR_TACQ", "NIRISS": "NIS_TACQ"}
        rows.insert(
            0,
            ta(
                rng,
                obs,
                ta_type.get(instrume, "NRS_WATA"),
                instrume,
                detector,
                subarray=first["subarray"],
            ),
        )
    return rows


# ---------------------------------------------------------------------- coronagraphy, AMI


def nrc_coron(rng: random.Random, obs: Obs) -> list[Row]:
    det, filt, channel = rng.choice(
        [("NRCA2", "F210M", "SHORT"), ("NRCALONG", "F430M", "LONG"), ("NRCA4", "F182M", "SHORT")]
    )
    pupil = rng.choice(["MASKRND", "MASKBAR"])
    sub = rng.choice(["SUB320A335R", "FULL", "SUB640A210R"])
    rows = [
        exposure(
            obs,
            "NRC_CORON",
            "NIRCAM",
            det,
            i,
            filter=filt,
            pupil=pupil,
            subarray=sub,
            channel=channel,
            module="A",
        )
        for i in range(1, rng.randint(1, 3) + 1)
    ]
    if rng.random() < 0.5:
        rows.insert(0, ta(rng, obs, "NRC_TACQ", "NIRCAM", det, subarray="SUBNDA210R", filter=filt))
    return rows


def mir_coron(rng: random.Random, obs: Obs) -> list[Row]:
    exp_type, filt, sub = rng.choice(
        [
            ("MIR_4QPM", "F1065C", "MASK1065"),
            ("MIR_4QPM", "F1550C", "MASK1550"),
            ("MIR_LYOT", "F2300C", "MASKLYOT"),
        ]
    )
    rows = [
        exposure(obs, exp_type, "MIRI", "MIRIMAGE", i, filter=filt, subarray=sub)
        for i in range(1, rng.randint(1, 3) + 1)
    ]
    if rng.random() < 0.4:
        rows.insert(0, ta(rng, obs, "MIR_TACQ", "MIRI", "MIRIMAGE", subarray=sub, filter="F1000W"))
    if rng.random() < 0.3:
        rows.append(
            exposure(
                obs,
                "MIR_CORONCAL",
                "MIRI",
                "MIRIMAGE",
                9,
                act_id=f"{obs.next_activity():02d}",
                filter=filt,
                subarray=sub,
            )
        )
    return rows


def ami(rng: random.Random, obs: Obs) -> list[Row]:
    filt = rng.choice(["F380M", "F430M", "F480M"])
    rows = [
        exposure(obs, "NIS_AMI", "NIRISS", "NIS", i, filter=filt, pupil="NRM", subarray="SUB80")
        for i in range(1, rng.randint(1, 3) + 1)
    ]
    if rng.random() < 0.5:
        rows.insert(
            0,
            ta(
                rng,
                obs,
                rng.choice(["NIS_TACQ", "NIS_TACONFIRM"]),
                "NIRISS",
                "NIS",
                subarray="SUBTAAMI",
                filter=filt,
            ),
        )
    return rows


# ---------------------------------------------------------------------- spectroscopy


def nrs_fixedslit(rng: random.Random, obs: Obs) -> list[Row]:
    grating, filt = rng.choice(
        [("G140M", "F100LP"), ("G235H", "F170LP"), ("G395H", "F290LP"), ("PRISM", "CLEAR")]
    )
    slit = rng.choice(["S200A1", "S200A2", "S1600A1", "S200B1"])
    dets = rng.sample(["NRS1", "NRS2"], rng.randint(1, 2))
    npts = rng.choice([1, 2, 3, 5])
    subpx = rng.choice(["1", "1", "3"])
    patttype = {1: "NONE", 2: "2-POINT-NOD", 3: "3-POINT-NOD", 5: "5-POINT-NOD"}[npts]
    rows = []
    if rng.random() < 0.4:
        rows.append(
            ta(
                rng,
                obs,
                rng.choice(["NRS_TASLIT", "NRS_WATA", "NRS_TACQ"]),
                "NIRSPEC",
                "NRS1",
                filter="F110W",
                grating="MIRROR",
            )
        )
    obs.next_activity()
    for spec in range(1, rng.randint(1, 2) + 1):
        for det in dets:
            rows += dithers(
                npts,
                lambda i, det=det, spec=spec: exposure(
                    obs,
                    "NRS_FIXEDSLIT",
                    "NIRSPEC",
                    det,
                    i,
                    filter=filt,
                    grating=grating,
                    fxd_slit=slit,
                    subarray=slit if slit != "S200B1" else "FULL",
                    expspcin=str(spec),
                    subpxpts=subpx,
                ),
                patttype,
            )
    if rng.random() < 0.3:
        rows.append(
            exposure(
                obs,
                rng.choice(["NRS_AUTOWAVE", "NRS_AUTOFLAT"]),
                "NIRSPEC",
                dets[0],
                1,
                act_id=f"{obs.next_activity():02d}",
                filter=filt,
                grating=grating,
                fxd_slit=slit,
            )
        )
    return rows


def nrs_msaspec(rng: random.Random, obs: Obs) -> list[Row]:
    grating, filt = rng.choice([("G140M", "F100LP"), ("G395M", "F290LP"), ("PRISM", "CLEAR")])
    msa = f"jw{obs.program:05d}{obs.obs_num:03d}001_01_msa.fits"
    rows = []
    if rng.random() < 0.4:
        rows.append(ta(rng, obs, "NRS_MSATA", "NIRSPEC", "NRS1", filter="F110W", grating="MIRROR"))
    if rng.random() < 0.3:
        rows.append(
            exposure(
                obs,
                "NRS_CONFIRM",
                "NIRSPEC",
                "NRS1",
                1,
                act_id=f"{obs.next_activity():02d}",
                filter="F110W",
                grating="MIRROR",
            )
        )
    obs.next_activity()
    for det in rng.sample(["NRS1", "NRS2"], rng.randint(1, 2)):
        rows += dithers(
            rng.choice([1, 2, 3]),
            lambda i, det=det: exposure(
                obs,
                "NRS_MSASPEC",
                "NIRSPEC",
                det,
                i,
                filter=filt,
                grating=grating,
                msametfl=msa,
                subpxpts="1",
            ),
            "3-SHUTTER-SLITLET",
        )
    if rng.random() < 0.4:
        act = f"{obs.next_activity():02d}"
        rows += [
            exposure(
                obs,
                "NRS_MSASPEC",
                "NIRSPEC",
                r["detector"],
                7,
                act_id=act,
                filter=filt,
                grating=grating,
                msametfl=msa,
                is_imprt="T",
            )
            for r in rows[-1:]
        ]
    if rng.random() < 0.2:
        rows.append(
            exposure(
                obs,
                "NRS_MSASPEC",
                "NIRSPEC",
                "NRS1",
                8,
                act_id=f"{obs.next_activity():02d}",
                filter="F110W",
                grating="MIRROR",
                msastate="PRIMARYPARK_ALLOPEN",
            )
        )
    return rows


def nrs_ifu(rng: random.Random, obs: Obs) -> list[Row]:
    grating, filt = rng.choice(
        [
            ("G140H", "F100LP"),
            ("G235H", "F170LP"),
            ("G395H", "F290LP"),
            ("PRISM", "CLEAR"),
            ("G235M", "F170LP"),
        ]
    )
    patttype = rng.choice(["2-POINT-NOD", "4-POINT-NOD", "CYCLING", "NONE"])
    npts = {"2-POINT-NOD": 2, "4-POINT-NOD": 4}.get(patttype, rng.randint(1, 3))
    dets = rng.sample(["NRS1", "NRS2"], rng.randint(1, 2))
    rows = []
    if rng.random() < 0.3:
        rows.append(ta(rng, obs, "NRS_WATA", "NIRSPEC", "NRS1", filter="F110W", grating="MIRROR"))
    obs.next_activity()
    tiles = rng.choice([1, 1, 2])
    for tile in range(1, tiles + 1):
        for det in dets:
            rows += dithers(
                npts,
                lambda i, det=det, tile=tile: exposure(
                    obs,
                    "NRS_IFU",
                    "NIRSPEC",
                    det,
                    i,
                    filter=filt,
                    grating=grating,
                    mostilno=str(tile),
                ),
                patttype,
            )
    if rng.random() < 0.5:
        act = f"{obs.next_activity():02d}"
        for det in dets:
            rows.append(
                exposure(
                    obs,
                    "NRS_IFU",
                    "NIRSPEC",
                    det,
                    1,
                    act_id=act,
                    filter=filt,
                    grating=grating,
                    is_imprt="T",
                    patttype=patttype,
                    mostilno=str(rng.randint(1, tiles)),
                )
            )
    if rng.random() < 0.2:
        rows.append(
            exposure(
                obs,
                "NRS_AUTOWAVE",
                "NIRSPEC",
                dets[0],
                1,
                act_id=f"{obs.next_activity():02d}",
                filter=filt,
                grating=grating,
                patttype=patttype,
            )
        )
    return rows


def mir_mrs(rng: random.Random, obs: Obs) -> list[Row]:
    bands = rng.sample(["SHORT", "MEDIUM", "LONG"], rng.randint(1, 2))
    rows = []
    if rng.random() < 0.3:
        rows.append(ta(rng, obs, "MIR_TACQ", "MIRI", "MIRIMAGE", filter="F560W"))
    for band in bands:
        act = f"{obs.next_activity():02d}"
        for det, channel in [("MIRIFUSHORT", "12"), ("MIRIFULONG", "34")]:
            rows += dithers(
                rng.choice([1, 2, 4]),
                lambda i, det=det, channel=channel, act=act, band=band: exposure(
                    obs,
                    "MIR_MRS",
                    "MIRI",
                    det,
                    i,
                    act_id=act,
                    band=band,
                    channel=channel,
                    filter="NULL",
                ),
                rng.choice(["4-POINT-DITHER", "2-POINT", "NONE"]),
            )
    return rows


def mir_lrs(rng: random.Random, obs: Obs) -> list[Row]:
    rows = []
    if rng.random() < 0.5:
        rows.append(
            ta(
                rng,
                obs,
                rng.choice(["MIR_TACQ", "MIR_TACONFIRM"]),
                "MIRI",
                "MIRIMAGE",
                filter="F1500W",
            )
        )
    obs.next_activity()
    nod = rng.random() < 0.6
    rows += dithers(
        2 if nod else rng.randint(1, 2),
        lambda i: exposure(obs, "MIR_LRS-FIXEDSLIT", "MIRI", "MIRIMAGE", i, filter="P750L"),
        "ALONG-SLIT-NOD" if nod else "NONE",
    )
    if rng.random() < 0.3:
        rows.append(
            exposure(
                obs,
                "MIR_TACONFIRM",
                "MIRI",
                "MIRIMAGE",
                1,
                act_id=f"{obs.next_activity():02d}",
                filter="F1500W",
            )
        )
    return rows


def nis_soss(rng: random.Random, obs: Obs) -> list[Row]:
    """SOSS outside a time series (Level 3 slitless spectral)."""
    return dithers(
        rng.randint(1, 2),
        lambda i: exposure(
            obs,
            "NIS_SOSS",
            "NIRISS",
            "NIS",
            i,
            filter="CLEAR",
            pupil="GR700XD",
            subarray="SUBSTRIP256",
            patttype="NULL",
        ),
        "NULL",
    )


def nrs_lamps(rng: random.Random, obs: Obs) -> list[Row]:
    """NIRSpec calibration lamps and MSA imaging (engineering-type exposures)."""
    rows = []
    for n in range(1, rng.randint(2, 4) + 1):
        exp_type = rng.choice(["NRS_LAMP", "NRS_AUTOWAVE", "NRS_AUTOFLAT"])
        opmode = rng.choice(["FIXEDSLIT", "IFU", "MSASPEC", "IMAGE", "GRATING-ONLY"])
        grating, lamp = rng.choice(
            [
                ("G140H", "FLAT1"),
                ("G395M", "LINE3"),
                ("PRISM", "LINE4"),
                ("MIRROR", "NOLAMP"),
                ("G140M", "FLAT4"),
            ]
        )
        rows.append(
            exposure(
                obs,
                exp_type,
                "NIRSPEC",
                rng.choice(["NRS1", "NRS2"]),
                n,
                act_id=f"{obs.next_activity():02d}",
                filter="OPAQUE",
                grating=grating,
                lamp=lamp,
                opmode=opmode,
                msametfl=rng.choice(
                    ["NULL", f"jw{obs.program:05d}{obs.obs_num:03d}001_01_msa.fits"]
                ),
            )
        )
    return rows


def calibration(rng: random.Random, obs: Obs) -> list[Row]:
    """Darks, flats, focus and other exposures that are not science."""
    choices = [
        ("NRC_FOCUS", "NIRCAM", "NRCA1"),
        ("NRC_DARK", "NIRCAM", "NRCA1"),
        ("NRC_FLAT", "NIRCAM", "NRCB1"),
        ("MIR_DARKIMG", "MIRI", "MIRIMAGE"),
        ("MIR_FLATMRS", "MIRI", "MIRIFUSHORT"),
        ("NIS_FOCUS", "NIRISS", "NIS"),
        ("NRS_FOCUS", "NIRSPEC", "NRS1"),
        ("NRS_IMAGE", "NIRSPEC", "NRS1"),
        ("NIS_LAMP", "NIRISS", "NIS"),
        ("NRS_MIMF", "NIRSPEC", "NRS1"),
        ("FGS_DARK", "FGS", "GUIDER1"),
        ("NRS_VERIFY", "NIRSPEC", "NRS1"),
    ]
    rows = []
    for n in range(1, rng.randint(1, 3) + 1):
        exp_type, inst, det = rng.choice(choices)
        rows.append(
            exposure(
                obs, exp_type, inst, det, n, act_id=f"{obs.next_activity():02d}", filter="F200W"
            )
        )
    return rows


# Weighted: the modes with the richest rules come up more often.
TEMPLATES: dict[str, tuple[Callable[[random.Random, Obs], list[Row]], int]] = {
    "imaging": (imaging, 5),
    "wfsc": (wfsc, 1),
    "wfss": (wfss, 3),
    "tso": (tso, 3),
    "nrc_coron": (nrc_coron, 2),
    "mir_coron": (mir_coron, 2),
    "ami": (ami, 2),
    "nrs_fixedslit": (nrs_fixedslit, 3),
    "nrs_msaspec": (nrs_msaspec, 2),
    "nrs_ifu": (nrs_ifu, 3),
    "mir_mrs": (mir_mrs, 2),
    "mir_lrs": (mir_lrs, 2),
    "nis_soss": (nis_soss, 1),
    "nrs_lamps": (nrs_lamps, 1),
    "calibration": (calibration, 1),
}
