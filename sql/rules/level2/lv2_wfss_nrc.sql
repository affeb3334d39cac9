-- rule:      Asn_Lv2WFSSNRC
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - the same target (targetid; every exposure of a direct_image candidate counts as target 000)
--   - NIRCam grism exposures (nrc_wfss), one science exposure each, and NIRCam images (nrc_image) as direct images
--   - the same instrument and detector, both set
--   - direct images join whatever the order; other non-science grism exposures join the associations that exist when they are read
--   - the direct image with the nearest later spectral index (expspcin) names the Level 3 catalog files that replace the direct images
-- members:   science, direct_image, sourcecat, segmap
-- shape:     science
-- wfss:      closest
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', l2.wfss_role('e'), l2.role('e') ~ " = 'science' and e.exp_type = 'nrc_wfss'") }},
    {{ l2.base_keys('e') }},
    {{ l2.target_key('e') }} as k_target,
    e.instrume as k_instrume,
    e.detector as k_detector,
    -- jwst re-offers the direct images after the main pass, not the grism exposures
    e.exp_type = 'nrc_image' as deferred
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and {{ l2.has_target('e') }}
  and e.exp_type in ('nrc_wfss', 'nrc_image')
  and e.instrume is not null and e.detector is not null
