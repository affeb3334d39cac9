-- What `asnsql explain` reads back: per exposure, rule and scope, why the rule did
-- not take the exposure there. Either the role it could have had (and, when its
-- association was dropped, why), or the first of the rule's conditions it fails
-- (temp table condition_failures, from asn_sql/engine/conditions.py), for the
-- rules it is eligible for nowhere and that did not take it. Each pool's in its run
-- (temp table run_pools).

insert into explain_verdicts
with eligible as (
    select rule, row_no, role, scope_id from l2_eligible
    union all
    select rule, row_no, role, scope_id from l3_eligible
),
taken as (
    select distinct p.pool_id, a.rule, m.row_no
    from members as m
    join associations as a using (run_id, asn_no)
    join run_pools as p using (run_id)
),
-- every eligible row, taken or not: which rules use exposures of a type is read from them
roles as (
    select rule, row_no, scope_id, string_agg(distinct role, '/' order by role) as role
    from eligible
    group by all
),
fates as (
    select f.rule, f.scope_id, m.row_no, string_agg(distinct f.fate, '; ' order by f.fate) as fate
    from found_associations as f
    join rule_matches as m
      on (m.level, m.rule, m.scope_id, m.group_key, m.split_index)
       = (f.level, f.rule, f.scope_id, f.group_key, f.split_index)
    where not f.kept
    group by all
)
select p.run_id, r.row_no, r.rule, s.acid, s.ctype, r.role, f.fate, null, null
from roles as r
join scopes as s using (scope_id)
join run_pools as p using (pool_id)
left join fates as f using (rule, scope_id, row_no)
union all
select p.run_id, c.row_no, c.rule, s.acid, s.ctype, null, null, c.select_no, c.condition_no
from condition_failures as c
join scopes as s using (scope_id)
join run_pools as p using (pool_id)
anti join (
    select distinct e.rule, s.pool_id, e.row_no from eligible as e join scopes as s using (scope_id)
) as e using (rule, pool_id, row_no)
anti join taken as t using (rule, pool_id, row_no)
where c.condition_no < c.n_conditions;
