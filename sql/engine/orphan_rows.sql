-- The exposures of each pool in none of its run's associations (by file name,
-- as jwst keys membership). Temp table run_pools gives the pools and their runs.
create or replace temp table orphan_rows as
select x.pool_id, x.row_no
from exposures as x
join run_pools as r using (pool_id)
where x.filename not in (
      select mx.filename
      from members as m
      join exposures as mx on mx.pool_id = r.pool_id and mx.row_no = m.row_no
      where m.run_id = r.run_id
  );
