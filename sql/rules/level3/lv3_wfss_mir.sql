-- rule:      Asn_Lv3WFSSMIR
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type mir_wfss (MIRI wide-field slitless spectroscopy)
--   - filter p750l (the prism)
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, psf, background, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<filter>
-- late_join: unless_direct_image
-- acq_keys:  k_target
{% import 'macros/level3.sql' as l3 -%}

{#- jwst's WFSS name: the default one, which here has no slit or subarray part. -#}
{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter']) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }}     as k_target,
    e.filter                                   as k_filter
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type = 'mir_wfss'
  and e.filter = 'p750l'
  and {{ l3.has_target('e', 'e.dms_role') }}
