-- rule:      Asn_Lv3NRSIFUBackground
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nrs_ifu of a background target (bkgdtarg = t), not a time series
--   - a valid NIRSpec IFU light path: grating, filter and detector
--   - every exposure processed as science
--   - the same grating
--   - the same target, on every exposure (target 000 for all in a direct_image candidate)
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<grating>
-- late_join: unless_direct_image
-- acq_keys:  k_target
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_grating']) }}
{%- endmacro %}

select
    {{ l3.member('e', l3.aux_role('e')) }},
    {{ l3.target_key('e', l3.aux_role('e'), all_keyed=true) }} as k_target,
    e.grating                                                   as k_grating
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.not_tso('e') }}
  and e.bkgdtarg = 't'
  and e.exp_type = 'nrs_ifu'
  and {{ x.nrs_ifu_valid('e') }}
  and e.grating is not null
  and {{ l3.has_target('e', l3.aux_role('e'), all_keyed=true) }}
