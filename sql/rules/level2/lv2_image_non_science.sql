-- rule:      Asn_Lv2ImageNonScience
-- asn_type:  image2
-- pipeline:  calwebb_image2
-- constraints:
--   - program set
--   - a target acquisition, a non-science imaging type (mir_coroncal, nis_focus, nrc_focus, nrs_focus, nrs_image and the acquisition types), or an MSA imaging confirmation (nrs_msaspec with the MSA all open and the mirror)
--   - each such exposure alone, as science
-- members:   science
-- shape:     single
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/exposures.sql' as x -%}

select
    {{ l2.member('e', "'science'", 'true') }}
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and (e.dms_role = 'target_acquisition'
       or e.exp_type in {{ x.in_list(l2.image2_nonscience) }}
       or (e.exp_type = 'nrs_msaspec' and e.msastate = 'primarypark_allopen'
           and e.grating = 'mirror'))
