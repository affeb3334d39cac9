-- rule:      Asn_Lv3AMI
-- asn_type:  ami3
-- pipeline:  calwebb_ami3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nis_ami
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - science exposures share their target; psf and other exposures join any target
--   - target acquisitions of the members' observations join
--   - at least one psf exposure
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, psf, background, target_acquisition (all _calints but the acquisitions)
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: always
-- target:    science
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

{#- AMI needs a reference star: a psf exposure besides the science. -#}
{% macro is_valid(g) -%}
{{ g }}.n_psf >= 1 and {{ l3.spans_observations(g) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.science_target_key('e', 'e.dms_role') }} as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type = 'nis_ami'
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_science_target('e', 'e.dms_role') }}
