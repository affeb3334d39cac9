-- rule:      Asn_Lv3ImageMosaic
-- asn_type:  image3
-- pipeline:  calwebb_image3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - an imaging exposure type (nrc_image, mir_image, nis_image, fgs_image, nrs_mimf), one per association
--   - not in a wavefront-sensing visit; the visit type shared where set
--   - not a background target, not a time series
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - any target: the tiles of a mosaic are combined
--   - target acquisitions of the members' observations join
--   - only in mosaic candidates, with members from two observations or more
-- members:   science, psf, target_acquisition
-- product:   jw<program>-<acid>_t000_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: never
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray
{% import 'macros/level3.sql' as l3 -%}

{#- No target key: the target token reads t000. -#}
{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

{% macro is_valid(g) -%}
{{ g }}.ctype = 'mosaic' and {{ l3.spans_observations(g) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    e.exp_type                                 as k_exp_type,
    e.visitype                                 as k_visitype,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.is_image_type('e') }}
  and {{ l3.not_wfsc_visit('e') }}
  and e.bkgdtarg is null
  and {{ l3.not_tso('e') }}
  and {{ l3.optical_path_ok('e') }}
