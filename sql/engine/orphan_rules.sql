-- The rules worth asking why they did not take an orphan: those that use
-- exposures of its type in this run, for orphans no rule could use at all.
-- Parameters: $pool_id.
with eligible as (
    select rule, row_no from l2_eligible
    union all
    select rule, row_no from l3_eligible
),
unexplained as (
    select x.exp_type
    from orphan_rows as o
    join exposures as x on x.pool_id = $pool_id and x.row_no = o.row_no
    where o.row_no not in (select row_no from eligible)
)
select distinct e.rule
from eligible as e
join exposures as x on x.pool_id = $pool_id and x.row_no = e.row_no
where x.exp_type in (select exp_type from unexplained)
