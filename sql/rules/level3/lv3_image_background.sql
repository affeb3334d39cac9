-- rule:      Asn_Lv3ImageBackground
-- asn_type:  image3
-- pipeline:  calwebb_image3
-- constraints:
--   - program and instrument set and shared; no imprint exposure
--   - an imaging exposure type (nrc_image, mir_image, nis_image, fgs_image, nrs_mimf), one per association
--   - not in a wavefront-sensing visit; the visit type shared where set
--   - a background target (bkgdtarg set), the value shared; not a time series
--   - the same optical path: filter, pupil (else grating), slit (s200a1 and s200a2 join any), subarray
--   - the same target for every exposure (target 000 for all in a direct_image candidate)
--   - target acquisitions of the members' observations join
--   - in group, background and mosaic candidates: members from two observations or more
-- members:   science (every exposure but acquisitions: the background is the science here), target_acquisition
-- product:   jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]
-- late_join: unless_direct_image
-- acq_keys:  k_filter, k_opt2, k_slit, k_subarray, k_target
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
{{ l3.default_name(g, [g ~ '.k_filter', g ~ '.k_opt2']) }}
{%- endmacro %}

-- every exposure is science here (jwst's AsnMixin_AuxData), acquisitions aside
select
    {{ l3.member('e', l3.aux_role('e')) }},
    e.exp_type                                 as k_exp_type,
    e.visitype                                 as k_visitype,
    e.bkgdtarg                                 as k_bkgdtarg,
    {{ l3.target_key('e', l3.aux_role('e'), all_keyed=true) }} as k_target,
    {{ l3.optical_path('e') }}
from scope_exposures as e
where {{ l3.base('e') }}
  and {{ l3.is_image_type('e') }}
  and {{ l3.not_wfsc_visit('e') }}
  and e.bkgdtarg is not null
  and {{ l3.not_tso('e') }}
  and {{ l3.optical_path_ok('e') }}
  and {{ l3.has_target('e', l3.aux_role('e'), all_keyed=true) }}
