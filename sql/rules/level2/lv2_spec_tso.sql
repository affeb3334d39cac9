-- rule:      Asn_Lv2SpecTSO
-- asn_type:  tso-spec2
-- pipeline:  calwebb_tso-spec2
-- constraints:
--   - program set
--   - a spectral exposure type without a rule of its own (mir_mrs, mir_wfss, nis_soss, nis_wfss, nrc_tsgrism, nrc_wfss, nrs_ifu, nrs_brightobj)
--   - a mode: instrument, detector and filter (else band) set; not an opaque filter, not nrc_tsgrism on nrcblong, not a wavefront-sensing visit
--   - a time series: a science pointing in a TSO visit, or nrc_tsgrism or nrs_brightobj
--   - not nrc_tsgrism through the clear pupil; nrs_brightobj only on a fixed-slit light path that reaches its detector; nis_soss only with a calibrated filter (not f277w)
--   - each science exposure alone
-- members:   science
-- shape:     single
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', "'science'", 'true') }}
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type in ('mir_mrs', 'mir_wfss', 'nis_soss', 'nis_wfss', 'nrc_tsgrism', 'nrc_wfss',
                     'nrs_ifu', 'nrs_brightobj')
  and {{ l2.mode_ok('e') }}
  and {{ l2.is_tso('e') }}
  and {{ l2.role('e') }} = 'science'
  and not (e.exp_type = 'nrc_tsgrism' and e.pupil is not distinct from 'clear')
  and not (e.exp_type = 'nrs_brightobj' and not {{ x.nrs_fs_valid('e') }})
  and {{ l2.soss_calibrated('e') }}
