-- rule:      Asn_Lv2Spec
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - a spectral exposure type without a rule of its own (mir_mrs, mir_wfss, nis_soss, nrc_tsgrism, nrs_ifu, nrs_brightobj), the same for all members
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not nrc_tsgrism on nrcblong, not a wavefront-sensing visit
--   - not a time series, not a nod pattern (2-point-nod, 4-point-nod, along-slit-nod)
--   - a NIRSpec IFU exposure on a light path that reaches its detector
--   - one science exposure (not a background target) with a mosaic tile number; imprints of the same tile join it as imprint (as science when also PSF references), background-target exposures of any tile as background
--   - a background target that is also a PSF joins as science; read before any science it could join, it makes the association it founds or joins its own, and later science founds apart
--   - extra imprints pruned: the science's target, then its dither position
-- members:   science, imprint, background
-- shape:     science
-- prune_imprints: yes
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}

-- every exposure this rule may use
with usable as (
    select e.*
    from scope_exposures as e
    where {{ l2.base_ok('e') }}
      and e.exp_type in ('mir_mrs', 'mir_wfss', 'nis_soss', 'nrc_tsgrism', 'nrs_ifu', 'nrs_brightobj')
      and {{ l2.mode_ok('e') }}
      and not {{ l2.is_tso('e') }}
      and e.patttype is distinct from '2-point-nod'
      and e.patttype is distinct from '4-point-nod'
      and e.patttype is distinct from 'along-slit-nod'
      and {{ x.nrs_ifu_valid('e') }}
)
-- jwst tests the background flag first: a background target joins whatever its
-- tile; science and imprints need a tile number, shared with the science
, eligible as (
    select
        {{ l2.member('e', l2.role('e'), 'e.bkgdtarg is null and ' ~ l2.role('e') ~ " = 'science'") }},
        {{ l2.base_keys('e') }},
        {{ l2.mode_keys('e') }},
        e.exp_type as k_exp_type,
        case when e.bkgdtarg is null then e.mostilno end as k_mostilno,
        -- the background test passes first, so a background target's imprint is
        -- offered again with the backgrounds, not with the imprints
        case when e.bkgdtarg is not null then 'background' end as requeue
    from usable as e
    where e.bkgdtarg is not null
       or e.mostilno is not null and {{ l2.role('e') }} in ('science', 'imprint')
)
select * from eligible
union all by name
-- a PSF that is also a background target, read before any science it could join
{{ l2.joiners_founding('eligible', l2.base_key_names + l2.mode_key_names + ['k_exp_type', 'k_mostilno']) }}
union all by name
-- an exposure both PSF and imprint passes the imprint test too: besides founding
-- its own association it joins the others of its tile, as science
select
    {{ l2.member('e', "'science'", 'false') }},
    {{ l2.base_keys('e') }},
    {{ l2.mode_keys('e') }},
    e.exp_type as k_exp_type,
    e.mostilno as k_mostilno,
    'imprint' as requeue
from usable as e
where e.bkgdtarg is null and e.mostilno is not null and e.is_imprt is not null
  and {{ l2.role('e') }} = 'science'
