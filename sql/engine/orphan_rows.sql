-- The exposures of the pool in none of the run's associations (by file name,
-- as jwst keys membership). Parameters: $run_id, $pool_id.
create or replace temp table orphan_rows as
select x.row_no
from exposures as x
where x.pool_id = $pool_id
  and x.filename not in (
      select mx.filename
      from members as m
      join exposures as mx on mx.pool_id = $pool_id and mx.row_no = m.row_no
      where m.run_id = $run_id
  );
