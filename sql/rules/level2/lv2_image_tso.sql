-- rule:      Asn_Lv2ImageTSO
-- asn_type:  tso-image2
-- pipeline:  calwebb_tso-image2
-- constraints:
--   - program set
--   - an imaging science exposure type (fgs_image, mir_4qpm, mir_image, mir_lyot, nis_ami, nis_image, nrc_coron, nrc_image, nrs_mimf, nrc_tsimage)
--   - a mode: instrument, detector and filter (else band) set; not an opaque filter, not a wavefront-sensing visit
--   - a time series: a science pointing in a TSO visit, or nrc_tsimage
--   - each science exposure alone
-- members:   science
-- shape:     single
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/exposures.sql' as x -%}

select
    {{ l2.member('e', "'science'", 'true') }}
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type in {{ x.in_list(l2.image2_science) }}
  and {{ l2.mode_ok('e') }}
  and {{ l2.is_tso('e') }}
  and {{ l2.role('e') }} = 'science'
