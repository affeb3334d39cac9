-- rule:      Asn_Lv2WFSSParallel
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - exposures of exactly one direct_image candidate (the cell reads [('cNNNN', 'direct_image')]); target 000
--   - grism exposures (nis_wfss, nrc_wfss, mir_wfss), one science exposure each, and images (nis_image, nrc_image, mir_image) as direct images
--   - the same instrument, set; no program test
--   - direct images join whatever the order; other non-science grism exposures join the associations that exist when they are read
--   - the first direct image with 'long' in its name (else the first) names the Level 3 catalog files that replace the direct images
--   - any candidate type, including the discovered one
-- members:   science, direct_image, sourcecat, segmap
-- shape:     science
-- wfss:      parallel
-- any_candidate: yes
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/exposures.sql' as x -%}

-- not l2.member: pure-parallel exposures need not share a program
select
    e.scope_id,
    e.row_no,
    {{ l2.wfss_role('e') }} as role,
    {{ l2.role('e') }} = 'science' and e.exp_type in ('nis_wfss', 'nrc_wfss', 'mir_wfss') as is_science,
    '000' as k_target,
    e.instrume as k_instrume,
    -- jwst re-offers the direct images after the main pass, not the grism exposures
    e.exp_type in ('nis_image', 'nrc_image', 'mir_image') as deferred
from scope_exposures as e
where {{ x.in_direct_image_candidate('e') }}
  and e.exp_type in ('nis_wfss', 'nrc_wfss', 'mir_wfss', 'nis_image', 'nrc_image', 'mir_image')
  and e.instrume is not null
