-- rule:      Asn_Lv2SpecSpecial
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - a spectral science exposure type (mir_lrs-fixedslit, mir_lrs-slitless, mir_mrs, mir_wfss, nis_soss, nis_wfss, nrc_tsgrism, nrc_wfss, nrs_fixedslit, nrs_ifu, nrs_msaspec, nrs_brightobj), the same for all members
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit
--   - a NIRSpec IFU exposure on a light path that reaches its detector
--   - a background target or a PSF reference, calibrated as science on its own
--   - imprints that are themselves background targets or PSF references, with a mosaic tile number, join it as imprint (as science when also a PSF reference), but never right after another imprint was offered to it; an imprint that joins nothing is the science of its own association
--   - extra imprints pruned: the science's target, then its dither position
-- members:   science, imprint
-- shape:     science
-- prune_imprints: yes
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/exposures.sql' as x -%}

{#- The exposures this rule may use at all. -#}
{% macro usable(e) -%}
({{ l2.base_ok(e) }}
 and {{ e }}.exp_type in {{ x.in_list(l2.spec2_science) }}
 and {{ l2.mode_ok(e) }}
 and {{ x.nrs_ifu_valid(e) }}
 and ({{ e }}.bkgdtarg is not null or {{ e }}.is_psf is not null))
{%- endmacro %}

{#- Whether exposure r passes the shared values of the association of s (BASE,
    MODE, exp_type, Constraint_Special), so that jwst offers r to it. Constraint_Special
    reads bkgdtarg, else is_psf, and the first member fixes which one it reads: a
    PSF reference that is also a background target joins an association of PSF
    references. MODE's filter/band and pupil/grating tests read, from then on, only
    the column s set (filter before band, pupil before grating): r is compared on
    that column alone, whatever it holds in the other (r's pupil does not matter to
    an association s founded on its grating). -#}
{% macro same_values(r, s) -%}
({{ r }}.program = {{ s }}.program and {{ r }}.exp_type = {{ s }}.exp_type
 and {{ r }}.instrume = {{ s }}.instrume and {{ r }}.detector = {{ s }}.detector
 and case when {{ s }}.filter is not null then {{ r }}.filter = {{ s }}.filter
          else {{ r }}.band = {{ s }}.band end
 and case when {{ s }}.pupil is not null then coalesce({{ r }}.pupil = {{ s }}.pupil, true)
          when {{ s }}.grating is not null then coalesce({{ r }}.grating = {{ s }}.grating, true)
          else true end
 and case when {{ s }}.bkgdtarg is not null then {{ r }}.bkgdtarg = {{ s }}.bkgdtarg
          else {{ r }}.is_psf = {{ s }}.is_psf end
 {%- for k in ['tsovisit', 'fxd_slit', 'subarray', 'channel'] %}
 and ({{ r }}.{{ k }} is null or {{ s }}.{{ k }} is null or {{ r }}.{{ k }} = {{ s }}.{{ k }})
 {%- endfor %})
{%- endmacro %}

{#- Whether the last exposure offered to the association of s before row
    `before` (from its founder on) was an imprint: jwst's imprint test reads the
    class of the exposure it classified last, so an imprint never directly
    follows another one. The class is the generic role: an exposure both PSF
    and imprint is a PSF, and joins as science. -#}
{% macro last_offered_is_imprint(s, before) -%}
coalesce((
    select arg_max(o.dms_role = 'imprint', o.row_no)
    from scope_exposures as o
    where o.scope_id = {{ s }}.scope_id and o.row_no >= {{ s }}.row_no and o.row_no < {{ before }}
      and {{ usable('o') }} and {{ same_values('o', s) }}), true)
{%- endmacro %}

{#- An imprint b joins the association of s in the pass over the pool when the
    exposure offered before it was not an imprint; after the pass, re-offered
    imprints reach it only if the last one offered was not an imprint, and then
    only the first that is not yet a member. The first imprint to join (or an
    imprint science) fixes the tile number; the science's background or PSF
    flag fixes which of the two flags members carry. -#}
{% macro compatible(s, b) -%}
({{ same_values(b, s) }} and {{ b }}.mostilno = coalesce(
    case when {{ s }}.is_imprt is not null then {{ s }}.mostilno end,
    (select arg_min(i.mostilno, i.row_no)
     from scope_exposures as i
     where i.scope_id = {{ s }}.scope_id and i.row_no > {{ s }}.row_no
       and i.is_imprt is not null and i.mostilno is not null
       and {{ usable('i') }} and {{ same_values('i', s) }}
       and not {{ last_offered_is_imprint(s, 'i.row_no') }}),
    {{ b }}.mostilno)
and case
    when {{ b }}.row_no > {{ s }}.row_no and not {{ last_offered_is_imprint(s, b ~ '.row_no') }} then true
    when {{ last_offered_is_imprint(s, '2147483647') }} then false
    else {{ b }}.row_no = (
        select min(i.row_no)
        from scope_exposures as i
        where i.scope_id = {{ s }}.scope_id and i.row_no <> {{ s }}.row_no
          and i.is_imprt is not null and i.mostilno is not null
          and {{ usable('i') }} and {{ same_values('i', s) }}
          and (i.row_no < {{ s }}.row_no or (
              select arg_max(o.dms_role = 'imprint', o.row_no)
              from scope_exposures as o
              where o.scope_id = {{ s }}.scope_id and o.row_no >= {{ s }}.row_no and o.row_no < i.row_no
                and {{ usable('o') }} and {{ same_values('o', s) }})))
end)
{%- endmacro %}

-- every exposure this rule may use
with usable as (
    select e.* from scope_exposures as e where {{ usable('e') }}
),
-- imprints that join no association: none was offered anything before them, or
-- the exposure offered last was an imprint (or they lack a tile number)
founding_imprints as (
    select i.scope_id, i.row_no
    from usable as i
    where i.is_imprt is not null
      and (i.mostilno is null or coalesce((
          select arg_max(p.dms_role = 'imprint', p.row_no)
          from usable as p
          where p.scope_id = i.scope_id and p.row_no < i.row_no and {{ same_values('i', 'p') }}), true))
)
select
    {{ l2.member('e', "'science'", 'true') }},
    {{ l2.base_keys('e') }},
    {{ l2.mode_keys('e') }},
    e.exp_type as k_exp_type
from usable as e
where e.is_imprt is null
   or (e.scope_id, e.row_no) in (select (scope_id, row_no) from founding_imprints)
union all by name
select
    {{ l2.member('e', "case when e.dms_role = 'imprint' then 'imprint' else 'science' end", 'false') }},
    {{ l2.base_keys('e') }},
    {{ l2.mode_keys('e') }},
    e.exp_type as k_exp_type,
    'imprint' as requeue
from usable as e
where e.is_imprt is not null and e.mostilno is not null
