-- rule:      Asn_Lv3NRSIFU
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nrs_ifu or nrs_autowave (they may mix), not a time series
--   - a valid NIRSpec IFU light path (grating, filter and detector) for nrs_ifu exposures
--   - the pattern type set and shared
--   - the same grating
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, autowave (_rate), background (_x1d), psf, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<grating>
-- late_join: unless_direct_image
-- acq_keys:  k_target
{#- No optical path key: filter and subarray are not compared; the grating is
    the only optical element, and the name has no slit or subarray part. -#}
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_grating']) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }} as k_target,
    e.patttype                                as k_patttype,
    e.grating                                 as k_grating
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type in ('nrs_autowave', 'nrs_ifu')
  and {{ x.nrs_ifu_valid('e') }}
  and e.patttype is not null
  and {{ l3.not_tso('e') }}
  and e.grating is not null
  and {{ l3.has_target('e', 'e.dms_role') }}
