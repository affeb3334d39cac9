-- rule:      Asn_Lv3SpectralSource
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - not a time series
--   - NIRSpec MSA spectra (nrs_msaspec with an MSA metadata file) or their nrs_autoflat and nrs_autowave calibrations (they may mix)
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, autoflat and autowave (_rate), background (_x1d), psf, target_acquisition
-- product:   jw<program>-<acid>_{source_id}_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: unless_direct_image
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray, k_target
{#- Many sources per exposure: the product name keeps {source_id} for
    calwebb_spec3 to fill in, in place of the target. -#}
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{#- jwst's SOURCES name. -#}
{% macro product_name(g) -%}
{{ l3.name_prefix(g) }} || '_{source_id}_' || {{ g }}.k_instrume
    || '_' || {{ x.opt_elem([g ~ '.k_filter', g ~ '.k_opt2']) }} || {{ l3.slit_part(g) }} || {{ l3.subarray_part(g) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }} as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.not_tso('e') }}
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_target('e', 'e.dms_role') }}
  and (e.exp_type in ('nrs_autoflat', 'nrs_autowave')
       or (e.exp_type = 'nrs_msaspec' and e.msametfl is not null))
