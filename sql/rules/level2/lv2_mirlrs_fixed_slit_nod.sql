-- rule:      Asn_Lv2MIRLRSFixedSlitNod
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - not a background candidate, a test jwst passes for the row that founds an association (it reads the candidate from the members): in a background candidate each science nod and TA confirmation founds one that takes no other row, never written (invalid there)
--   - one science exposure: MIRI LRS fixed slit (mir_lrs-fixedslit) in an along-slit nod pattern, with a pattern number
--   - its nod partners join it as background: the first one offered whose pattern number does not contain the science's, then those with that partner's pattern number
--   - a nod that is not science (a background target) founds no association: it joins one that exists when it is read
--   - MIRI target-acquisition confirmations (mir_taconfirm) join it as target_acquisition
-- members:   science, background, target_acquisition
-- shape:     science
-- unmatched: background
{% import 'macros/level2.sql' as l2 -%}

{#- jwst locks the partner test on the first partner that passes it: the first
    row after the science (in the pass over the pool), else the first nod
    exposure before it (offered again later), whose pattern number does not
    contain the science's; every partner then has that pattern number. -#}
{% macro compatible(s, b) -%}
({{ b }}.exp_type = 'mir_taconfirm' or {{ b }}.patt_num = (
    select first(r.patt_num order by r.row_no < {{ s }}.row_no, r.row_no)
    from scope_exposures as r
    where r.scope_id = {{ s }}.scope_id and r.filename <> {{ s }}.filename
      and r.exp_type = 'mir_lrs-fixedslit' and r.patttype = 'along-slit-nod'
      and r.patt_num is not null and strpos(r.patt_num, {{ s }}.patt_num) = 0
      and r.program = {{ s }}.program
      and (r.tsovisit is null or {{ s }}.tsovisit is null or r.tsovisit = {{ s }}.tsovisit)
      and (r.row_no > {{ s }}.row_no or {{ l2.role('r') }} = 'science')))
{%- endmacro %}

-- the nod exposures: science of their own association, partners of the others
with nods as (
    select e.*
    from scope_exposures as e
    where {{ l2.base_ok('e') }}
      and e.ctype <> 'background'
      and e.exp_type = 'mir_lrs-fixedslit'
      and e.patttype = 'along-slit-nod'
      and e.patt_num is not null
)
select
    {{ l2.member('e', "'science'", 'true') }},
    {{ l2.base_keys('e') }},
    true as deferred,
    true as founds
from nods as e
where {{ l2.role('e') }} = 'science'
union all
-- a science nod is offered again after the pass; other nods join only
-- associations that exist when they are read. No nod founds an association
-- another science then joins: offered to a new one, the science test locks the
-- nod's own pattern number before failing (the nod is not science), and the
-- partner test then refuses that same number.
select
    {{ l2.member('e', "case when " ~ l2.role('e') ~ " = 'science' then 'background' else " ~ l2.role('e') ~ " end", 'false') }},
    {{ l2.base_keys('e') }},
    {{ l2.role('e') }} = 'science' as deferred,
    false as founds
from nods as e
union all
select
    {{ l2.member('e', l2.role('e'), 'false') }},
    {{ l2.base_keys('e') }},
    true as deferred,
    true as founds
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.ctype <> 'background'
  and e.exp_type = 'mir_taconfirm'
union all by name
-- jwst's test of the candidate type reads the candidate from the association's
-- members, so it passes the row that founds one and refuses every later row: in
-- a background candidate each science nod and TA confirmation founds an
-- association of its own (k_exp_type, the row's own, keeps every other row out),
-- invalid there (no background member), which an unfinalized run still numbers
select
    {{ l2.member('e', l2.role('e'), l2.role('e') ~ " = 'science'") }},
    {{ l2.base_keys('e') }},
    'row ' || e.row_no as k_exp_type,
    false as deferred,
    true as founds
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.ctype = 'background'
  and (e.exp_type = 'mir_lrs-fixedslit' and e.patttype = 'along-slit-nod' and e.patt_num is not null
       and {{ l2.role('e') }} = 'science'
       or e.exp_type = 'mir_taconfirm')
