-- rule:      Asn_Lv3SlitlessSpectral
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nis_soss, not a time series
--   - no pattern type (nod patterns belong to Asn_Lv3SpectralTarget)
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, background (_x1d), psf, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: unless_direct_image
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray, k_target
{#- jwst also rejects time-series mir_lrs-slitless here; the exposure type and
    not-a-time-series tests already exclude it. -#}
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }} as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.not_tso('e') }}
  and {{ l3.optical_path_ok('e') }}
  and e.exp_type = 'nis_soss'
  and e.patttype is null
  and {{ l3.has_target('e', 'e.dms_role') }}
