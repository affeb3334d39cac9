-- rule:      Asn_MIRLRSTAConfirm
-- asn_type:  spec2
-- pipeline:  calwebb_spec2
-- constraints:
--   - program set and shared; the time-series flag shared where set
--   - MIRI LRS (mir_lrs-fixedslit, mir_lrs-slitless), time series allowed
--   - the same mode: instrument, detector, filter (else band), pupil (else grating), slit, subarray and channel where set; not an opaque filter, not a wavefront-sensing visit
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
-- the science exposures
science as (
    select e.*
    from scope_exposures as e
    where {{ l2.base_ok('e') }}
      and e.exp_type in ('mir_lrs-fixedslit', 'mir_lrs-slitless')
      and {{ l2.mode_ok('e') }}
      and {{ l2.role('e') }} = 'science'
),
-- confirmations that reach no association: the first of their observation,
-- with no science exposure since the previous confirmation
founders as (
    select t.*
    from confirmations as t
    where not exists (
              select 1 from confirmations as p
              where p.scope_id = t.scope_id and p.program = t.program
                and p.row_no < t.row_no and p.obs_id = t.obs_id)
      and not exists (
              select 1 from science as s
              where s.scope_id = t.scope_id and s.program = t.program and s.row_no < t.row_no
                and not exists (
                    select 1 from confirmations as p
                    where p.scope_id = t.scope_id and p.program = t.program
                      and p.row_no > s.row_no and p.row_no < t.row_no))
),
-- the science exposure a founding confirmation's association takes: the next
-- one of the same observation
claims as (
    select f.scope_id, f.row_no as ta_row, min(s.row_no) as science_row
    from founders as f
    join science as s
      on s.scope_id = f.scope_id and s.program = f.program
     and s.row_no > f.row_no and s.obs_id = f.obs_id
    group by all
),
-- the obs_id each science exposure's association takes: its founder's, else
-- that of the first confirmation after it, else of the first one at all
locked as (
    select
        s.scope_id, s.row_no, c.ta_row,
        coalesce(
            (select t.obs_id from confirmations as t where t.row_no = c.ta_row and t.scope_id = s.scope_id),
            (select arg_min(t.obs_id, t.row_no) from confirmations as t
             where t.scope_id = s.scope_id and t.program = s.program and t.row_no > s.row_no),
            (select arg_min(t.obs_id, t.row_no) from confirmations as t
             where t.scope_id = s.scope_id and t.program = s.program)) as obs_id
    from science as s
    left join claims as c on c.scope_id = s.scope_id and c.science_row = s.row_no
)
-- the science exposures, with the mode of the confirmation that founded theirs
select
    {{ l2.member('s', "'science'", 'true') }},
    {{ l2.base_keys('s') }},
    {{ l2.mode_keys('m') }},
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
