-- rule:      Asn_Lv2NRSLAMPSpectral
-- asn_type:  nrslamp-spec2
-- pipeline:  calwebb_nrslamp-spec2
-- constraints:
--   - program set
--   - a NIRSpec lamp calibration (nrs_autoflat, nrs_autowave, nrs_lamp) with the opaque filter and a lamp set
--   - a lamp light path that reaches the detector (MSA; IFU gratings by detector; fixed-slit grating and lamp pairs)
--   - an MSA exposure has its metadata file
--   - not the mirror, not grating-only, not without a lamp
--   - each such exposure alone, as science
-- members:   science
-- shape:     single
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', "'science'", 'true') }}
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type in ('nrs_autoflat', 'nrs_autowave', 'nrs_lamp')
  and e.filter = 'opaque'
  and {{ l2.lamp_path_ok('e') }}
  and (e.opmode is distinct from 'msaspec' or e.msametfl is not null)
  and e.lamp is not null
  and not (e.grating is not distinct from 'mirror'
           or e.opmode is not distinct from 'grating-only'
           or e.lamp is not distinct from 'nolamp')
