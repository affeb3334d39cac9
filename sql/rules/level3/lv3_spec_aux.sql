-- rule:      Asn_Lv3SpecAux
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - a background target (bkgdtarg = t), not a time series
--   - exposure type mir_lrs-fixedslit or nrs_fixedslit, one per association
--   - every exposure processed as science
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target, on every exposure (target 000 for all in a direct_image candidate)
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: unless_direct_image
-- acq_keys:  k_target
{#- No detector validity test: background spectra of both NIRSpec detectors
    are kept. -#}
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

select
    {{ l3.member('e', l3.aux_role('e')) }},
    {{ l3.target_key('e', l3.aux_role('e'), all_keyed=true) }} as k_target,
    e.exp_type                                                  as k_exp_type,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.not_tso('e') }}
  and e.bkgdtarg = 't'
  and e.exp_type in ('mir_lrs-fixedslit', 'nrs_fixedslit')
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_target('e', l3.aux_role('e'), all_keyed=true) }}
