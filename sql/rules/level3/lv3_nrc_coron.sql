-- rule:      Asn_Lv3NRCCoron
-- asn_type:  coron3
-- pipeline:  calwebb_coron3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nrc_coron, on a detector that sees the target (full frame: maskbar not on nrca1-3, maskrnd not on nrca1, nrca3, nrca4)
--   - not a background target
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - science exposures share their target; psf exposures join any target
--   - target acquisitions of the members' observations join
--   - at least one psf exposure
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, psf (both _calints), target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: always
-- target:    science
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

{#- Coronagraphy subtracts a reference star: a psf exposure is required. -#}
{% macro is_valid(g) -%}
{{ g }}.n_psf >= 1 and {{ l3.spans_observations(g) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.science_target_key('e', 'e.dms_role') }} as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type = 'nrc_coron'
  and e.bkgdtarg is null
  and {{ x.nrc_coron_valid('e') }}
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_science_target('e', 'e.dms_role') }}
