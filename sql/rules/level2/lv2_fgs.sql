-- rule:      Asn_Lv2FGS
-- asn_type:  image2
-- pipeline:  calwebb_image2
-- constraints:
--   - program set
--   - an FGS science exposure type (fgs_image, fgs_focus)
--   - not a wavefront-sensing visit (those go to Asn_Lv2WFSC)
--   - each science exposure alone
-- members:   science
-- shape:     single
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', "'science'", 'true') }}
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type in ('fgs_image', 'fgs_focus')
  and not {{ l2.is_wfsc_visit('e') }}
  and {{ l2.role('e') }} = 'science'
