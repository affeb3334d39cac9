-- Why each exposure in none of the run's associations is there: the first rule
-- (Level 2, then Level 3, each in registry order) that could use it and what
-- became of its associations; else the rule whose conditions it meets longest
-- and the first it fails (temp table first_failures, from
-- asn_sql/engine/conditions.py). `asnsql explain` gives every rule's. Each pool's
-- in its run: temp tables orphan_rows and run_pools.

insert into orphan_reasons (run_id, row_no, reason)
with orphaned as (
    select o.pool_id, o.row_no, x.exp_type
    from orphan_rows as o
    join exposures as x using (pool_id, row_no)
),
eligible as (
    select 2 as level, rule, rule_rank, row_no, role, scope_id from l2_eligible
    union all
    select 3, rule, rule_rank, row_no, role, scope_id from l3_eligible
),
-- the orphans' own eligible rows (every row of a big pool is eligible somewhere)
orphans_eligible as (
    select e.*, s.pool_id
    from eligible as e
    join scopes as s using (scope_id)
    semi join orphan_rows using (pool_id, row_no)
),
fates as (
    select f.level, f.rule, f.pool_id, m.row_no, string_agg(distinct f.fate, '; ') as fate
    from found_associations as f
    join rule_matches as m
      on (m.level, m.rule, m.scope_id, m.group_key, m.split_index)
       = (f.level, f.rule, f.scope_id, f.group_key, f.split_index)
    semi join orphan_rows as o on o.pool_id = f.pool_id and o.row_no = m.row_no
    where not f.kept
    group by all
),
-- the rules that use exposures of its type in this run, and among them the one
-- whose conditions it meets longest
typed_rules as (
    select distinct e.level, e.rule, s.pool_id, x.exp_type
    from eligible as e
    join scopes as s using (scope_id)
    join exposures as x on x.pool_id = s.pool_id and x.row_no = e.row_no
),
closest as (
    select f.pool_id, f.row_no,
           arg_max(f.rule || ' takes ' || o.exp_type || ' exposures but needs ' || f.condition,
                   (f.passed, -f.level, -f.rule_rank)) as reason
    from first_failures as f
    join orphaned as o using (pool_id, row_no)
    join typed_rules as t
      on t.pool_id = f.pool_id and t.level = f.level and t.rule = f.rule and t.exp_type = o.exp_type
    group by f.pool_id, f.row_no
),
first_rule as (
    select
        e.pool_id,
        e.row_no,
        arg_min(
            e.rule || ' could use it (as ' || e.role || ' in ' || s.acid || ') but '
                || coalesce('its association was dropped: ' || f.fate,
                            case when e.level = 2 and s.ctype not in ('observation', 'background')
                                 then 'jwst keeps Level 2 associations only for observation candidates '
                                      || 'and background candidates with a background member'
                                 else 'no association of that rule kept it (nothing to join, or the rule''s own checks)'
                            end),
            (e.level, e.rule_rank, e.scope_id)
        ) as reason
    from orphans_eligible as e
    join scopes as s using (scope_id)
    left join fates as f
      on f.level = e.level and f.rule = e.rule and f.pool_id = e.pool_id and f.row_no = e.row_no
    group by e.pool_id, e.row_no
)
select
    p.run_id,
    o.row_no,
    coalesce(u.reason, r.reason, 'no rule takes it: ' || c.reason,
             -- "an exposure" whatever the type: "a " before it reads wrong for half of them
             'no rule took an exposure '
             || coalesce('of EXP_TYPE ' || o.exp_type, 'with no EXP_TYPE') || ' in this run '
             || '(asnsql explain gives each rule''s first failed condition)')
from orphaned as o
join run_pools as p using (pool_id)
left join first_rule as r using (pool_id, row_no)
left join closest as c using (pool_id, row_no)
left join (
    select pool_id, row_no, 'asnsql left it out of every association: its FILENAME holds a path '
                   || 'separator, ''..'' or a control character' as reason
    from unusable_rows
) as u using (pool_id, row_no);
