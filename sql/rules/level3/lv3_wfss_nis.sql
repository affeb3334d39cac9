-- rule:      Asn_Lv3WFSSNIS
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nis_wfss (NIRISS wide-field slitless spectroscopy)
--   - grism filter gr150r or gr150c, one per association; the pupil set and shared
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, psf, background, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<filter and pupil, sorted>
-- late_join: unless_direct_image
-- acq_keys:  k_target
{% import 'macros/level3.sql' as l3 -%}

{#- jwst's WFSS name: the default one, which here has no slit or subarray part. -#}
{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_pupil']) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }}     as k_target,
    e.filter                                   as k_filter,
    e.pupil                                    as k_pupil
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type = 'nis_wfss'
  and e.filter in ('gr150r', 'gr150c')
  and e.pupil is not null
  and {{ l3.has_target('e', 'e.dms_role') }}
