-- rule:      Asn_Lv3SpectralTarget
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type mir_lrs-fixedslit or nis_soss (they may mix), not a time series
--   - a nod pattern (2-point-nod, 4-point-nod, along-slit-nod), one per association
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - with two science exposures or more, each science exposure's spectrum (_x1d) is also a background
-- members:   science, background (_x1d, and the nodded science spectra), psf, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: unless_direct_image
-- nod_backgrounds: yes
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray, k_target
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

{#- jwst leaves out the multi-observation check for this rule. -#}
{% macro is_valid(g) -%}
true
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }} as k_target,
    e.patttype                                as k_patttype,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.not_tso('e') }}
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_target('e', 'e.dms_role') }}
  and e.exp_type in ('mir_lrs-fixedslit', 'nis_soss')
  and e.patttype in ('2-point-nod', '4-point-nod', 'along-slit-nod')
