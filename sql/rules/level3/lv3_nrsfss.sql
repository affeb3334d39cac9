-- rule:      Asn_Lv3NRSFSS
-- asn_type:  spec3
-- pipeline:  calwebb_spec3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - exposure type nrs_fixedslit, nrs_autoflat or nrs_autowave (they may mix), not a time series
--   - a valid NIRSpec fixed-slit light path: slit, grating, filter and detector
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science, autoflat and autowave (_rate), background (_x1d), psf, target_acquisition
-- product:   jw<program>-<acid>_<target>-{source_id}_<instrument>_<opt_elem>-{slit_name}[-<subarray>]
-- late_join: unless_direct_image
{#- The product name keeps {source_id} and {slit_name} for calwebb_spec3 to
    fill in: one product per slit and source, so no slit token of its own. -#}
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{#- jwst's NRSFS name. -#}
{% macro product_name(g) -%}
{{ l3.name_prefix(g) }} || '_' || {{ l3.target_token(g) }} || '-{source_id}_' || {{ g }}.k_instrume
    || '_' || {{ x.opt_elem([g ~ '.k_filter', g ~ '.k_opt2']) }} || '-{slit_name}' || {{ l3.subarray_part(g) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    {{ l3.target_key('e', 'e.dms_role') }} as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.not_tso('e') }}
  and e.exp_type in ('nrs_autoflat', 'nrs_autowave', 'nrs_fixedslit')
  and {{ x.nrs_fs_valid('e') }}
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_target('e', 'e.dms_role') }}
