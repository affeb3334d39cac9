-- The rules worth asking why they did not take an orphan: those that use
-- exposures of its type in its pool's run, for orphans no rule could use at all.
with eligible as (
    select l.rule, s.pool_id, l.row_no from l2_eligible as l join scopes as s using (scope_id)
    union all
    select l.rule, s.pool_id, l.row_no from l3_eligible as l join scopes as s using (scope_id)
),
unexplained as (
    select o.pool_id, x.exp_type
    from orphan_rows as o
    join exposures as x using (pool_id, row_no)
    anti join eligible as e using (pool_id, row_no)
)
select distinct e.rule
from eligible as e
join exposures as x using (pool_id, row_no)
semi join unexplained as u on u.pool_id = e.pool_id and u.exp_type = x.exp_type
