-- rule:      Asn_Lv3NRCCoronImage
-- asn_type:  image3
-- pipeline:  calwebb_image3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nrc_coron, short-wavelength channel, full frame
--   - not a background target, not flagged as a psf (is_psf = t)
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - science exposures share their target; other exposures join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science (_cal: processed as plain images, not per integration), target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<subarray>]-image3
-- late_join: always
-- target:    science
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{#- jwst's CORONIMAGE name: no slit part, '-image3' appended. -#}
{% macro product_name(g) -%}
{{ l3.name_prefix(g) }} || '_' || {{ l3.target_token(g) }} || '_' || {{ g }}.k_instrume
    || '_' || {{ x.opt_elem([g ~ '.k_filter', g ~ '.k_opt2']) }} || {{ l3.subarray_part(g) }} || '-image3'
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role', coron_counts=false) }},
    {{ l3.science_target_key('e', 'e.dms_role') }} as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and e.exp_type = 'nrc_coron'
  and e.bkgdtarg is null
  and e.is_psf is distinct from 't'
  and e.channel = 'short'
  and e.subarray = 'full'
  and {{ l3.has_science_target('e', 'e.dms_role') }}
