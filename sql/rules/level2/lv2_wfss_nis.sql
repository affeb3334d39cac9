-- rule:      Asn_Lv2WFSSNIS
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - the same target (targetid; every exposure of a direct_image candidate counts as target 000)
--   - NIRISS grism exposures (nis_wfss), one science exposure each, and NIRISS images (nis_image) as direct images
--   - the same instrument, pupil and subarray, all set
--   - direct images join whatever the order; other non-science grism exposures join the associations that exist when they are read
--   - the direct image with the nearest later spectral index (expspcin) names the Level 3 catalog files that replace the direct images
-- members:   science, direct_image, sourcecat, segmap
-- shape:     science
-- wfss:      closest
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', l2.wfss_role('e'), l2.role('e') ~ " = 'science' and e.exp_type = 'nis_wfss'") }},
    {{ l2.base_keys('e') }},
    {{ l2.target_key('e') }} as k_target,
    e.instrume as k_instrume,
    e.pupil as k_pupil,
    e.subarray as k_subarray,
    -- jwst re-offers the direct images after the main pass, not the grism exposures
    e.exp_type = 'nis_image' as deferred
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and {{ l2.has_target('e') }}
  and e.exp_type in ('nis_wfss', 'nis_image')
  and e.instrume is not null and e.pupil is not null and e.subarray is not null
