-- rule:      Asn_Lv2NRSFSS
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - NIRSpec fixed-slit exposures (nrs_fixedslit) on a valid fixed-slit light path (slit class, grating, filter, detector)
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit
--   - science exposures share the spectral index (expspcin), the number of dither points (numdthpt) and the sub-pixel points (subpxpns, else subpxpts), all three set
--   - background and imprint exposures of the same mode join the groups that exist when they are read, or start one
--   - each science exposure of a group gets its own association, with the other nods that do not overlap it (other primary position, same target; not the neighbours in S1600A1 5-point patterns) as background
-- members:   science, background, imprint
-- shape:     group
-- overlap:   fs
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}
{% set is_science = l2.role('e') ~ " = 'science'" -%}

select
    {{ l2.member('e', l2.role('e'), is_science) }},
    {{ l2.base_keys('e') }},
    {{ l2.mode_keys('e') }},
    -- the nod keys bind science exposures only; the others join any group
    case when {{ is_science }} then e.expspcin end as k_expspcin,
    case when {{ is_science }} then e.numdthpt end as k_numdthpt,
    case when {{ is_science }} then
        case when e.subpxpns is not null then 'subpxpns:' || e.subpxpns
             else 'subpxpts:' || e.subpxpts end
    end as k_subpx,
    -- jwst offers these rows once, in the main pass
    false as deferred
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type = 'nrs_fixedslit'
  and {{ l2.mode_ok('e') }}
  and {{ x.nrs_fs_valid('e') }}
  and (not ({{ is_science }})
       or (e.expspcin is not null and e.numdthpt is not null
           and (e.subpxpns is not null or e.subpxpts is not null)))
