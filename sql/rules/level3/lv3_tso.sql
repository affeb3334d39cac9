-- rule:      Asn_Lv3TSO
-- asn_type:  tso3
-- pipeline:  calwebb_tso3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - a time series: a science pointing in a TSO visit, or nrc_tsimage, nrc_tsgrism, nrs_brightobj
--   - the exposure type set and shared
--   - not IFU (mir_mrs, mir_flatmrs, nrs_autowave, nrs_ifu)
--   - not a NIRCam grism engineering mode: nrc_tsgrism with pupil clear, gdhs0 or gdhs60, or on nrcblong; no DHS subarray
--   - not NIRISS SOSS with a single integration or an uncalibrated filter (f277w or none)
--   - not NIRSpec bright object off its valid slit, grating, filter and detector combinations
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target (target 000 for all in a direct_image candidate); backgrounds join any target
--   - target acquisitions of the members' observations join
--   - only in observation candidates
-- members:   science (_calints), psf, background (_x1dints), target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: unless_direct_image
-- acq_keys:  k_target, k_filter, k_opt2, k_slit, k_subarray
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

{#- A time series is processed per observation only. -#}
{% macro is_valid(g) -%}
{{ g }}.ctype = 'observation'
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    e.exp_type                                 as k_exp_type,
    {{ l3.target_key('e', 'e.dms_role') }}     as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and coalesce({{ x.is_tso('e') }}, false)
  and e.exp_type is not null
  and e.exp_type not in ('mir_mrs', 'mir_flatmrs', 'nrs_autowave', 'nrs_ifu')
  and not coalesce(e.exp_type = 'nrc_tsgrism' and e.pupil in ('clear', 'gdhs0', 'gdhs60'), false)
  and not coalesce(e.exp_type = 'nrc_tsgrism' and e.detector = 'nrcblong', false)
  and not coalesce(e.subarray in ('sub260stripe4_dhs', 'sub41stripe1_dhs', 'sub82stripe2_dhs',
                                  'sub164stripe4_dhs'), false)
  and not coalesce(e.exp_type = 'nis_soss' and e.nints = '1', false)
  and (e.exp_type <> 'nis_soss' or coalesce(e.filter <> 'f277w', false))
  and (e.exp_type <> 'nrs_brightobj' or {{ x.nrs_fs_valid('e') }})
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_target('e', 'e.dms_role') }}
