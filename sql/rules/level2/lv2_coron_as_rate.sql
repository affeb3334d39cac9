-- rule:      Asn_Lv2CoronAsRate
-- asn_type:  image2
-- pipeline:  calwebb_image2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - NIRCam coronagraphy (nrc_coron) in full frame, on a detector that holds the occulted target
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit
--   - one science exposure (not a background target); background-target exposures of the same mode join it as background
--   - a background target that is also a PSF joins as science; read before any science it could join, it makes the association it founds or joins its own, and later science founds apart
--   - files named _rate: the integrations of coronagraphy are not kept (jwst's is_item_coron is off)
-- members:   science, background
-- shape:     science
-- coron_suffix: no
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}

-- the rule's exposures: science founds, background targets join
with eligible as (
    select
        {{ l2.member('e', l2.role('e'), 'e.bkgdtarg is null and ' ~ l2.role('e') ~ " = 'science'") }},
        {{ l2.base_keys('e') }},
        {{ l2.mode_keys('e') }},
        -- jwst tests the background flag first: a background target (a PSF one
        -- too) is offered again with the backgrounds
        case when e.bkgdtarg is not null then 'background' end as requeue
    from scope_exposures as e
    where {{ l2.base_ok('e') }}
      and e.exp_type = 'nrc_coron'
      and e.subarray = 'full'
      and {{ x.nrc_coron_valid('e') }}
      and {{ l2.mode_ok('e') }}
      and (e.bkgdtarg is not null or {{ l2.role('e') }} = 'science')
)
select * from eligible
union all by name
-- a PSF that is also a background target, read before any science it could join
{{ l2.joiners_founding('eligible', l2.base_key_names + l2.mode_key_names) }}
