-- rule:      Asn_Lv2ImageSpecial
-- asn_type:  image2
-- pipeline:  calwebb_image2
-- constraints:
--   - program set
--   - an imaging science exposure type (fgs_image, mir_4qpm, mir_image, mir_lyot, nis_ami, nis_image, nrc_coron, nrc_image, nrs_mimf, nrc_tsimage)
--   - a mode: instrument, detector and filter (else band) set; not an opaque filter, not a wavefront-sensing visit
--   - a background target or a PSF reference, calibrated as science on its own
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
  and (e.bkgdtarg is not null or e.is_psf is not null)
