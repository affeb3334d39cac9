-- rule:      Asn_Lv2SpecImprint
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set
--   - a spectral science exposure type (mir_lrs-fixedslit, mir_lrs-slitless, mir_mrs, mir_wfss, nis_soss, nis_wfss, nrc_tsgrism, nrc_wfss, nrs_fixedslit, nrs_ifu, nrs_msaspec, nrs_brightobj)
--   - a mode: instrument, detector and filter (else band) set; not an opaque filter, not a wavefront-sensing visit
--   - a NIRSpec IFU exposure on a light path that reaches its detector
--   - an imprint (leakcal) exposure, calibrated as science on its own
-- members:   science
-- shape:     single
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/exposures.sql' as x -%}

select
    {{ l2.member('e', "'science'", 'true') }}
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type in {{ x.in_list(l2.spec2_science) }}
  and {{ l2.mode_ok('e') }}
  and {{ x.nrs_ifu_valid('e') }}
  and e.is_imprt is not null
