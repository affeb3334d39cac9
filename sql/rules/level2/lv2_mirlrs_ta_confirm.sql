-- rule:      Asn_MIRLRSTAConfirm
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - MIRI LRS (mir_lrs-fixedslit, mir_lrs-slitless), time series allowed
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit; a science exposure with an obs_id may fail it (the keys before the first unset one are still shared)
--   - one science exposure; background-target LRS exposures of the same mode, not time series, join it as background
--   - MIRI target-acquisition confirmations (mir_taconfirm) of one observation join it: the first to reach it fixes the obs_id
--   - a confirmation that reaches no association founds one, which the next science exposure of its observation takes (its mode is then the confirmation's)
-- members:   science, background, target_acquisition
-- shape:     science
{% import 'macros/level2.sql' as l2 -%}

-- the confirmations
with confirmations as (
    select e.*
    from scope_exposures as e
    where {{ l2.base_ok('e') }}
      and e.exp_type = 'mir_taconfirm'
      and e.obs_id is not null
),
-- the science exposures: of a valid mode, or (the confirmation branch) with an obs_id
science as (
    select e.*
    from scope_exposures as e
    where {{ l2.base_ok('e') }}
      and e.exp_type in ('mir_lrs-fixedslit', 'mir_lrs-slitless')
      and ({{ l2.mode_ok('e') }} or e.obs_id is not null)
      and {{ l2.role('e') }} = 'science'
),
-- confirmations and science exposures in pool order, per scope and program
events as (
    select scope_id, program, row_no, obs_id, 'confirmation' as kind from confirmations
    union all
    select scope_id, program, row_no, obs_id, 'science' from science
),
ordered as (
    select
        *,
        lag(kind) over in_order as previous_kind,
        row_number() over (partition by scope_id, program, obs_id, kind order by row_no)
            as nth_of_observation,
        first_value(case when kind = 'confirmation' then obs_id end ignore nulls) over (
            in_order rows between 1 following and unbounded following) as next_confirmation,
        first_value(case when kind = 'confirmation' then obs_id end ignore nulls) over (
            in_order rows between unbounded preceding and unbounded following) as first_confirmation
    from events
    window in_order as (partition by scope_id, program order by row_no)
),
-- confirmations that reach no association: the first of their observation,
-- with no science exposure since the previous confirmation
founders as (
    select t.*
    from confirmations as t
    join ordered as o
      on o.scope_id = t.scope_id and o.row_no = t.row_no and o.kind = 'confirmation'
    where o.nth_of_observation = 1 and o.previous_kind is distinct from 'science'
),
-- the science exposure a founding confirmation's association takes: the next
-- one of the same observation
claims as (
    select f.scope_id, f.row_no as ta_row, any_value(f.obs_id) as obs_id,
           min(s.row_no) as science_row
    from founders as f
    join science as s
      on s.scope_id = f.scope_id and s.program = f.program
     and s.row_no > f.row_no and s.obs_id = f.obs_id
    group by f.scope_id, f.row_no
),
-- the obs_id each science exposure's association takes: its founder's, else
-- that of the first confirmation after it, else of the first one at all
locked as (
    select
        o.scope_id, o.row_no, c.ta_row,
        coalesce(c.obs_id, o.next_confirmation, o.first_confirmation) as obs_id
    from ordered as o
    left join claims as c on c.scope_id = o.scope_id and c.science_row = o.row_no
    where o.kind = 'science'
)
-- the science exposures, with the mode of the confirmation that founded theirs
-- (as far as jwst's mode test got before failing)
select
    {{ l2.member('s', "'science'", 'true') }},
    {{ l2.base_keys('s') }},
    {{ l2.mode_keys_as_fixed('m') }},
    k.obs_id as k_obs_id
from science as s
join locked as k on k.scope_id = s.scope_id and k.row_no = s.row_no
join scope_exposures as m on m.scope_id = s.scope_id and m.row_no = coalesce(k.ta_row, s.row_no)
union all by name
-- background targets
select
    {{ l2.member('e', l2.role('e'), 'false') }},
    {{ l2.base_keys('e') }},
    {{ l2.mode_keys('e') }},
    null as k_obs_id
from scope_exposures as e
where {{ l2.base_ok('e') }}
  and e.exp_type in ('mir_lrs-fixedslit', 'mir_lrs-slitless')
  and {{ l2.mode_ok('e') }}
  and {{ l2.role('e') }} <> 'science'
  and e.bkgdtarg is not null and not {{ l2.is_tso('e') }}
union all by name
-- confirmations: no mode test, the mode keys are open
select
    {{ l2.member('e', l2.role('e'), 'false') }},
    {{ l2.base_keys('e') }},
    null as k_instrume, null as k_detector, null as k_opt_elem, null as k_opt_elem2,
    null as k_fxd_slit, null as k_subarray, null as k_channel,
    e.obs_id as k_obs_id
from confirmations as e
