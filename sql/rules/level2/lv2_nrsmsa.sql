-- rule:      Asn_Lv2NRSMSA
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - NIRSpec MSA exposures (nrs_msaspec) with an MSA metadata file (msametfl) and a spectral index (expspcin), both shared
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit
--   - science, imprint and background exposures alike form the group
--   - each science exposure of a group gets its own association, with the other nods that do not overlap it (other primary position, same target; any when the pattern is unknown) as background
-- members:   science, background, imprint
-- shape:     group
-- overlap:   mos
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', l2.role('e'), l2.role('e') ~ " = 'science'") }},
    {{ l2.base_keys('e') }},
    {{ l2.mode_keys('e') }},
    e.msametfl as k_msametfl,
    e.expspcin as k_expspcin,
    -- jwst offers these rows once, in the main pass
    false as deferred
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type = 'nrs_msaspec'
  and {{ l2.mode_ok('e') }}
  and e.msametfl is not null
  and e.expspcin is not null
