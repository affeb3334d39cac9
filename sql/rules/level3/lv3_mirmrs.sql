-- rule:      Asn_Lv3MIRMRS
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type mir_mrs, not a time series
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, background (_x1d), psf, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>
-- late_join: unless_direct_image
-- acq_keys:  k_target
{#- No optical path key: the MRS channels, bands and subarrays of one target
    are combined by calwebb_spec3, so the name carries no optical element. -#}
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{#- jwst's NOOPT name. -#}
{% macro product_name(g) -%}
{{ l3.name_prefix(g) }} || '_' || {{ l3.target_token(g) }} || '_' || {{ g }}.k_instrume
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }} as k_target
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type = 'mir_mrs'
  and {{ l3.not_tso('e') }}
  and {{ l3.has_target('e', 'e.dms_role') }}
