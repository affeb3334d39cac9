-- rule:      Asn_Lv3WFSCMB
-- asn_type:  wfs-image3
-- pipeline:  calwebb_wfs-image3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - an imaging exposure type (nrc_image, mir_image, nis_image, fgs_image, nrs_mimf), one per association
--   - pattern type wfsc: the dither pairs of coarse and fine phasing
--   - not a line-of-sight jitter exposure (dms_note wfsc_los_jitter)
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target (target 000 for all in a direct_image candidate)
--   - the same detector, observation id and activity
--   - target acquisitions of the members' observations join
--   - at least two members (a pair; acquisitions count)
--   - not in group candidates; in background and mosaic candidates: members from two observations or more
-- members:   science, psf, target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]-<detector>_{suffix}-<act_id>
-- late_join: unless_direct_image
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray, k_target
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}

{#- The default name, then the detector, the pipeline's {suffix} placeholder and
    the activity padded to two digits. -#}
{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
    || '-' || {{ g }}.k_detector || '_{suffix}-'
    || {{ x.zero_pad(g ~ '.k_act_id', 2) }}
{%- endmacro %}

{#- Combining needs a pair; group candidates never make one. -#}
{% macro is_valid(g) -%}
{{ g }}.ctype <> 'group' and {{ g }}.n_members >= 2 and {{ l3.spans_observations(g) }}
{%- endmacro %}

select
    {{ l3.member('e', 'e.dms_role') }},
    e.exp_type                                 as k_exp_type,
    e.detector                                 as k_detector,
    e.obs_id                                   as k_obs_id,
    e.act_id                                   as k_act_id,
    {{ l3.target_key('e', 'e.dms_role') }}     as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.is_image_type('e') }}
  and e.patttype = 'wfsc'
  and e.dms_note is distinct from 'wfsc_los_jitter'
  and e.detector is not null
  and e.obs_id is not null
  and e.act_id is not null
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_target('e', 'e.dms_role') }}
