-- rule:      Asn_Lv2NRSIFUNod
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - NIRSpec IFU exposures (nrs_ifu) on a valid IFU light path (grating, filter, detector)
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit
--   - a nod pattern (2-point-nod or 4-point-nod), the same for all members, and the same mosaic tile (mostilno, set)
--   - science, imprint and background exposures alike form the group; imprints not matching the science are pruned
--   - each science exposure of a group gets its own association, with every other science exposure as background
-- members:   science, background, imprint
-- shape:     group
-- overlap:   none
-- prune_imprints: yes
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}

select
    {{ l2.member('e', l2.role('e'), l2.role('e') ~ " = 'science'") }},
    {{ l2.base_keys('e') }},
    {{ l2.mode_keys('e') }},
    e.patttype as k_patttype,
    e.mostilno as k_mostilno,
    -- jwst offers these rows once, in the main pass
    false as deferred
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type = 'nrs_ifu'
  and {{ l2.mode_ok('e') }}
  and {{ x.nrs_ifu_valid('e') }}
  and e.patttype in ('2-point-nod', '4-point-nod')
  and e.mostilno is not null
