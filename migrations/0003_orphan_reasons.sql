-- Why: each orphan gets a reason (the first rule that could take it and why its association was dropped, or that no rule takes it), shown by the orphans view.

create table orphan_reasons (
    run_id integer not null,
    row_no integer not null,
    reason varchar not null,
    primary key (run_id, row_no)
);

create or replace view orphans as
select r.run_id, x.*, coalesce(o.reason, 'no reason recorded (run made before asnsql recorded reasons)') as reason
from runs as r
join exposures as x on x.pool_id = r.pool_id
left join orphan_reasons as o on o.run_id = r.run_id and o.row_no = x.row_no
where not exists (
    select 1
    from members as m
    join exposures as mx on mx.pool_id = r.pool_id and mx.row_no = m.row_no
    where m.run_id = r.run_id and mx.filename = x.filename
);
