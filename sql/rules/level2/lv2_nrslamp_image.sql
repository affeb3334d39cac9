-- rule:      Asn_Lv2NRSLAMPImage
-- asn_type:  image2
-- pipeline:  calwebb_image2
-- constraints:
--   - program set
--   - a NIRSpec lamp exposure (nrs_lamp) through the mirror
--   - operating mode image where set
--   - each such exposure alone, as science
-- members:   science
-- shape:     single
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', "'science'", 'true') }}
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type = 'nrs_lamp'
  and e.grating = 'mirror'
  and (e.opmode is null or e.opmode = 'image')
