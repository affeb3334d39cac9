-- rule:      Asn_Lv2WFSC
-- asn_type:  image2
-- pipeline:  calwebb_wfs-image2
-- constraints:
--   - program set
--   - an imaging science exposure type (fgs_image, mir_4qpm, mir_image, mir_lyot, nis_ami, nis_image, nrc_coron, nrc_image, nrs_mimf, nrc_tsimage)
--   - a wavefront-sensing visit
--   - not a NIRCam image noted as line-of-sight jitter (wfsc_los_jitter)
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
  and {{ l2.is_wfsc_visit('e') }}
  and not (e.dms_note is not distinct from 'wfsc_los_jitter' and e.exp_type = 'nrc_image')
  and {{ l2.role('e') }} = 'science'
