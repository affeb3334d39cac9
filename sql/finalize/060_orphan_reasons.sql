-- Why each exposure in none of the run's associations is there: the first rule
-- (Level 2, then Level 3, each in registry order) that could use it and what
-- became of its associations, or that no rule uses it. `asnsql explain` gives
-- every rule's first failed condition. Parameters: $run_id, $pool_id.

insert into orphan_reasons (run_id, row_no, reason)
with used as (
    select distinct x.filename
    from members as m
    join exposures as x on x.pool_id = $pool_id and x.row_no = m.row_no
    where m.run_id = $run_id
),
orphaned as (
    select x.row_no, x.exp_type
    from exposures as x
    where x.pool_id = $pool_id and x.filename not in (select filename from used)
),
eligible as (
    select 2 as level, rule, rule_rank, row_no, role, scope_id from l2_eligible
    union all
    select 3, rule, rule_rank, row_no, role, scope_id from l3_eligible
),
fates as (
    select f.level, f.rule, m.row_no, string_agg(distinct f.fate, '; ') as fate
    from found_associations as f
    join rule_matches as m
      on (m.level, m.rule, m.scope_id, m.group_key, m.split_index)
       = (f.level, f.rule, f.scope_id, f.group_key, f.split_index)
    where not f.kept
    group by all
),
first_rule as (
    select
        e.row_no,
        arg_min(
            e.rule || ' could use it (as ' || e.role || ' in ' || s.acid || ') but '
                || coalesce('its association was dropped: ' || f.fate,
                            'none of its associations passed the rule''s own checks'),
            (e.level, e.rule_rank, e.scope_id)
        ) as reason
    from eligible as e
    join scopes as s using (scope_id)
    left join fates as f on f.level = e.level and f.rule = e.rule and f.row_no = e.row_no
    group by e.row_no
)
select
    $run_id,
    o.row_no,
    coalesce(r.reason, 'no rule uses a ' || coalesce(o.exp_type, 'null') || ' exposure like it; '
                       || 'see asnsql explain for each rule''s first failed condition')
from orphaned as o
left join first_rule as r using (row_no);
