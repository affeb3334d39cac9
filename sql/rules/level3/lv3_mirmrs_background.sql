-- rule:      Asn_Lv3MIRMRSBackground
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type mir_mrs of a background target (bkgdtarg = t), not a time series
--   - every exposure processed as science
--   - the same target, on every exposure (target 000 for all in a direct_image candidate)
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>
-- late_join: never
-- acq_keys:  k_target
{#- jwst's plain Constraint_Target (no association given): every exposure is
    keyed on its target and nothing is re-offered to earlier associations. -#}
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{#- jwst's NOOPT name. -#}
{% macro product_name(g) -%}
{{ l3.name_prefix(g) }} || '_' || {{ l3.target_token(g) }} || '_' || {{ g }}.k_instrume
{%- endmacro %}

select
    {{ l3.member('e', l3.aux_role('e')) }},
    {{ l3.target_key('e', l3.aux_role('e'), all_keyed=true) }} as k_target
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type = 'mir_mrs'
  and {{ l3.not_tso('e') }}
  and e.bkgdtarg = 't'
  and {{ l3.has_target('e', l3.aux_role('e'), all_keyed=true) }}
